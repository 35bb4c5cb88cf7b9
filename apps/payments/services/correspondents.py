"""The correspondent table: which bank holds our nostro in a currency, and which one carries covers."""

from __future__ import annotations

from django.db import transaction

from apps.accounts.models import AccountType
from apps.accounts.selectors import account_get
from apps.accounts.services import internal_account_get_or_create
from apps.audit.services import audit_record
from apps.core.errors import InvalidInput

from .. import validation
from ..models import Correspondent


@transaction.atomic(durable=True)
def correspondent_register(
    *,
    currency: str,
    bic: str,
    nostro_account: str | None = None,
    name: str = "",
    is_default: bool = False,
    actor: str = "system",
) -> Correspondent:
    """Record (or update) ``bic`` as our correspondent in ``currency``, holding ``nostro_account`` (an internal
    NOSTRO account in that currency; by default the bank's NOSTRO of the currency). ``is_default`` makes it the one
    that carries covers (the previous default stops being one)."""
    bic = validation.bic(bic, field="bic")
    if nostro_account is None:
        account = internal_account_get_or_create(account_type=AccountType.NOSTRO, currency=currency)
    else:
        account = account_get(public_id=nostro_account, field="nostro_account")
    if account.account_type != AccountType.NOSTRO or account.currency != currency:
        raise InvalidInput(f"nostro_account must be a NOSTRO account in {currency}", field="nostro_account")
    existing = Correspondent.objects.select_for_update().filter(currency=currency, bic=bic).first()
    before = (
        {"nostro_account": existing.nostro_account.public_id, "is_default": existing.is_default} if existing else {}
    )
    if is_default:
        Correspondent.objects.filter(currency=currency, is_default=True).exclude(bic=bic).update(is_default=False)
    correspondent, _ = Correspondent.objects.update_or_create(
        currency=currency,
        bic=bic,
        defaults={"nostro_account": account, "name": name, "is_default": is_default, "active": True},
    )
    audit_record(
        action="payments.correspondent_registered",
        object_type="correspondent",
        object_id=f"{currency}:{bic}",
        before=before,
        after={"nostro_account": account.public_id, "is_default": is_default},
        actor=actor,
    )
    return correspondent

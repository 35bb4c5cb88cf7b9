"""Reads of payments. Never write, never lock."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from apps.security.selectors import blind_index_filter

from .errors import PaymentNotFound
from .models import AccountAlias, AchFile, Correspondent, PaymentOrder
from .states import FINAL, PaymentStatus


def payment_get(*, public_id: str) -> PaymentOrder:
    try:
        return PaymentOrder.objects.select_related("debtor_account").get(public_id=public_id)
    except PaymentOrder.DoesNotExist:
        raise PaymentNotFound(f"no payment {public_id}", field="payment") from None


def payment_list(*, status: str | None = None, rail: str | None = None) -> QuerySet[PaymentOrder]:
    qs = PaymentOrder.objects.select_related("debtor_account")
    if status:
        qs = qs.filter(status=status)
    if rail:
        qs = qs.filter(rail=rail)
    return qs


def payment_for_answer(*, rail: str, network_key: str, network_reference: str) -> PaymentOrder | None:
    """The payment an answer is for: by the id the network de-duplicates on, else by the network's reference."""
    if network_key:
        found = PaymentOrder.objects.filter(rail=rail, network_key=network_key).first()
        if found is None:  # the cover of a cover payment carries its own id
            found = PaymentOrder.objects.filter(rail=rail, cover_network_key=network_key).first()
        if found is not None:
            return found
    if network_reference:
        return PaymentOrder.objects.filter(rail=rail, network_reference=network_reference).first()
    return None


def payment_possible_duplicate(
    *, debtor_account_id: int, amount_minor: int, currency: str, creditor_identifier: str, reference: str, since
) -> PaymentOrder | None:
    """A live payment since ``since`` with the same debtor, amount, currency, creditor and reference, if any."""
    qs = PaymentOrder.objects.filter(
        debtor_account_id=debtor_account_id,
        amount_minor=amount_minor,
        currency=currency,
        reference=reference,
        created_at__gte=since,
    ).exclude(status__in=(PaymentStatus.REJECTED, PaymentStatus.CANCELLED))
    return blind_index_filter(queryset=qs, field_name="creditor_identifier", value=creditor_identifier).first()


def payment_by_idempotency_key(*, key: str) -> PaymentOrder | None:
    return PaymentOrder.objects.filter(idempotency_key=key).first()


def account_alias_resolve(*, identifier: str) -> str | None:
    """The QENEX account id an external identifier (IBAN, account number) was registered for, if any."""
    alias = blind_index_filter(
        queryset=AccountAlias.objects.select_related("account"), field_name="identifier", value=identifier
    ).first()
    return alias.account.public_id if alias is not None else None


def ach_file_for_answer(*, network_key: str, network_reference: str) -> AchFile | None:
    """The ACH file an operator's answer is about: by file id, else by the operator's reference."""
    if network_key:
        found = AchFile.objects.filter(network_key=network_key).first()
        if found is not None:
            return found
    if network_reference:
        return AchFile.objects.filter(network_reference=network_reference).first()
    return None


def ach_file_list(*, status: str | None = None) -> QuerySet[AchFile]:
    qs = AchFile.objects.all()
    return qs.filter(status=status) if status else qs


def correspondents_for(*, currency: str) -> list[Correspondent]:
    return list(Correspondent.objects.filter(currency=currency, active=True).select_related("nostro_account"))


def correspondent_get(*, currency: str, bic: str) -> Correspondent | None:
    return Correspondent.objects.filter(currency=currency, bic=bic).select_related("nostro_account").first()


def payment_counts_open() -> dict[tuple[str, str], int]:
    """(rail, status) -> how many payments are in that status, for every status that is not final."""
    rows = (
        PaymentOrder.objects.exclude(status__in=FINAL)
        .values_list("rail", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(rail, status): n for rail, status, n in rows}

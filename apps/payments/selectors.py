"""Reads of payments. Never write, never lock."""

from __future__ import annotations

import uuid
from datetime import datetime

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


def payments_held_for(*, reason_code: str, held_before: datetime) -> QuerySet[PaymentOrder]:
    """Payments waiting in HELD for ``reason_code`` whose last change is older than ``held_before``."""
    return PaymentOrder.objects.select_related("debtor_account").filter(
        status=PaymentStatus.HELD, reason_code=reason_code, updated_at__lt=held_before
    )


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


def account_alias_identifiers(*, account_ids: list[str]) -> dict[str, list[str]]:
    """Account public id -> the external identifiers (IBANs, account numbers) registered for it, oldest first."""
    found: dict[str, list[str]] = {}
    aliases = AccountAlias.objects.select_related("account").filter(account__public_id__in=list(account_ids))
    for alias in aliases.order_by("created_at", "id"):
        found.setdefault(alias.account.public_id, []).append(alias.identifier)
    return found


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
def payment_for_return(
    *,
    rail: str,
    ids: tuple[str, ...] = (),
    swift_reference: str = "",
    reference: str = "",
    amount_minor: int | None = None,
) -> PaymentOrder | None:
    """The outbound payment a return or change notice is about.

    First by any id the notice quotes (the id the network de-duplicated on, the network's reference, the UETR);
    else, for ACH, by the original entry's identification number, which carries the payment's reference, and its
    amount (an ACH return quotes the original trace number and copies the entry's identification number).
    """
    wanted = [ident for ident in ids if ident]
    if wanted:
        qs = PaymentOrder.objects.filter(rail__in=_return_rails(rail))
        found = (
            qs.filter(network_key__in=wanted).first()
            or qs.filter(network_reference__in=wanted).first()
            or qs.filter(uetr__in=[ident for ident in wanted if _is_uuid(ident)]).first()
        )
        if found is not None:
            return found
    if swift_reference:  # an MT return quotes our :20:, the first half of the MT network key (:20:+UETR)
        found = PaymentOrder.objects.filter(rail=rail, network_key__startswith=f"{swift_reference}+").first()
        if found is not None:
            return found
    if reference:
        qs = PaymentOrder.objects.filter(rail__in=_return_rails(rail), reference=reference)
        if amount_minor:  # a change notice is a zero-amount entry: the reference alone names the payment
            qs = qs.filter(amount_minor=amount_minor)
        return qs.order_by("-id").first()
    return None


def _return_rails(rail: str) -> tuple[str, ...]:
    # A SEPA return (pacs.004) may come back for an SCT or an SCT Inst payment.
    return ("sepa", "sepa_inst") if rail in ("sepa", "sepa_inst") else (rail,)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def counterparty_correction_find(*, creditor_aba: str, creditor_identifier: str):
    """The latest NOC correction of the ACH counterparty (routing number, account number), or None."""
    from .models import CounterpartyCorrection

    qs = CounterpartyCorrection.objects.filter(creditor_aba=creditor_aba).order_by("-created_at", "-id")
    return blind_index_filter(queryset=qs, field_name="creditor_identifier", value=creditor_identifier).first()


# --- data-subject rights (apps.privacy calls these) -------------------------------------------------------------
def payments_of_subject(*, subject_id: str) -> QuerySet[PaymentOrder]:
    """The payment orders the customer made (they own the debtor account)."""
    return PaymentOrder.objects.filter(debtor_account__owner_id=subject_id).select_related("debtor_account")


def subject_payment_rows(*, subject_id: str) -> list[dict]:
    """The customer's payments as a subject-access export shows them (decrypted: the subject's own data)."""
    return [
        {
            "id": p.public_id,
            "status": p.status,
            "rail": p.rail,
            "amount_minor": p.amount_minor,
            "currency": p.currency,
            "debtor_name": p.debtor_name,
            "debtor_identifier": p.debtor_identifier,
            "creditor_name": p.creditor_name,
            "creditor_identifier": p.creditor_identifier,
            "reference": p.reference,
            "remittance_info": p.remittance_info,
            "device_id": p.device_id,  # the device the customer paid from: personal data too
            "value_date": p.value_date.isoformat() if p.value_date else None,
        }
        for p in payments_of_subject(subject_id=subject_id).order_by("id")
    ]

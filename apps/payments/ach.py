"""Build the NACHA file the ACH payments queued until a cut-off travel in (pure: no database writes).

One file per cut-off: one PPD credit batch per effective entry date (the payment's value date: today for a
same-day entry, a later banking day otherwise), entries in payment order, one addenda 05 with the remittance
information when there is some. Trace numbers are the bank's 8-digit ODFI id and a 7-digit sequence taken from
the payment's primary key, so the same payment always carries the same trace number (the operator, like the
sandbox, sees a resent entry as the same entry).

What the NACHA fields cannot carry is refused when the payment is created (``check_entry``), never cut:
receiver names of at most 22 characters, account numbers of at most 17, remittance of at most 80.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from apps.payments.formats import nacha
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.nacha import AchFile, Addenda05, Batch, BatchHeader, EntryDetail, FileHeader

from .errors import InvalidMessageField
from .models import PaymentOrder

EASTERN = ZoneInfo("America/New_York")
CHECKING_CREDIT = 22
SEQUENCE_MODULUS = 10_000_000
_FIELD_OF = {
    "entry_detail.receiver_name": "receiver.name",
    "entry_detail.account_number": "receiver.account",
    "entry_detail.rdfi_routing": "receiver.aba",
    "addenda_05.payment_related_information": "remittance_info",
    "entry_detail.amount": "amount",
}


@dataclass(frozen=True)
class BuiltFile:
    file_id: str  # what the operator de-duplicates on
    body: bytes
    entry_count: int
    total_credit_minor: int
    same_day: bool
    trace_numbers: dict[int, str]  # payment pk -> trace number


def odfi() -> str:
    return settings.QENEX_PAYMENTS_BANK_ABA[:8]


def trace_number_for(payment_pk: int) -> str:
    return nacha.make_trace_number(odfi(), payment_pk % SEQUENCE_MODULUS)


def _entry(payment: PaymentOrder, trace: str) -> EntryDetail:
    addenda = (Addenda05(payment.remittance_info),) if payment.remittance_info else ()
    return EntryDetail(
        transaction_code=CHECKING_CREDIT,
        rdfi_routing=payment.creditor_aba,
        account_number=payment.creditor_identifier,
        amount=payment.amount_minor,
        receiver_name=payment.creditor_name,
        trace_number=trace,
        identification_number=payment.public_id[-15:],
        addenda=addenda,
    )


def _batch_header(effective: date, number: int) -> BatchHeader:
    return BatchHeader(
        service_class_code=220,  # credits only
        company_name=settings.QENEX_PAYMENTS_ACH_COMPANY_NAME,
        company_identification=settings.QENEX_PAYMENTS_ACH_COMPANY_ID,
        standard_entry_class="PPD",
        company_entry_description="PAYMENT",
        effective_entry_date=effective,
        odfi_identification=odfi(),
        batch_number=number,
    )


def _file_header(created: datetime, modifier: str) -> FileHeader:
    local = created.astimezone(EASTERN)
    return FileHeader(
        immediate_destination=settings.QENEX_PAYMENTS_ACH_OPERATOR_ROUTING,
        immediate_origin=f" {settings.QENEX_PAYMENTS_BANK_ABA}",
        file_creation_date=local.date(),
        file_creation_time=local.time().replace(second=0, microsecond=0),
        file_id_modifier=modifier,
        immediate_destination_name="FEDERAL RESERVE BANK",
        immediate_origin_name=settings.QENEX_PAYMENTS_ACH_COMPANY_NAME,
    )


def file_id_for(created: datetime, modifier: str) -> str:
    """The operator's id of the file: immediate origin, creation date and time (Eastern), modifier."""
    local = created.astimezone(EASTERN)
    return f"{settings.QENEX_PAYMENTS_BANK_ABA}-{local:%y%m%d%H%M}-{modifier}"


def _refusal(exc: MessageValidationError) -> InvalidMessageField:
    first = exc.errors[0]
    return InvalidMessageField(f"NACHA: {first.field}: {first.reason}", field=_FIELD_OF.get(first.field, first.field))


def build_file(payments: Iterable[PaymentOrder], *, created: datetime, modifier: str) -> BuiltFile:
    """The NACHA file for ``payments`` (saved orders: their pk gives the trace number)."""
    by_date: dict[date, list[PaymentOrder]] = {}
    for payment in payments:
        by_date.setdefault(payment.value_date, []).append(payment)
    today = created.astimezone(EASTERN).date()
    traces: dict[int, str] = {}
    batches = []
    for number, (effective, members) in enumerate(sorted(by_date.items()), start=1):
        entries = []
        for payment in members:
            traces[payment.pk] = trace_number_for(payment.pk)
            entries.append(_entry(payment, traces[payment.pk]))
        batches.append(Batch(_batch_header(effective, number), entries))
    try:
        body = nacha.build_ach_file(AchFile(_file_header(created, modifier), batches))
    except MessageValidationError as exc:
        raise _refusal(exc) from None
    return BuiltFile(
        file_id=file_id_for(created, modifier),
        body=body,
        entry_count=len(traces),
        total_credit_minor=sum(p.amount_minor for group in by_date.values() for p in group),
        same_day=any(effective <= today for effective in by_date),
        trace_numbers=traces,
    )


def check_entry(payment: PaymentOrder, *, now: datetime) -> None:
    """Refuse, at creation, a payment whose entry NACHA cannot carry (raise InvalidMessageField)."""
    try:
        nacha.build_ach_file(
            AchFile(
                _file_header(now, "A"),
                [Batch(_batch_header(payment.value_date, 1), [_entry(payment, nacha.make_trace_number(odfi(), 1))])],
            )
        )
    except MessageValidationError as exc:
        raise _refusal(exc) from None

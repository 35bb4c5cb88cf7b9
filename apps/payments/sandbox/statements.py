"""End-of-day statements of the bank's account with the network: what the sandbox settled, as camt.053 or MT940.

The network keeps one record per payment it accepted (rail, amount, currency, end-to-end id / :20:, UETR,
the day it booked it, the value date). ``GET /_sandbox/statement?currency=EUR&format=camt053|mt940
[&date=YYYY-MM-DD][&opening=AMOUNT][&extra=AMOUNT:C|D[:VALUE-DATE]]`` turns the records of one currency booked
that day into the statement a correspondent sends at end of day: every accepted payment is a debit of our
account there (the money left it), the opening balance is ``opening`` (default 0) plus everything booked
before that day, and the closing balance follows. ``extra`` (repeatable) adds a line QENEX knows nothing about
(a fee, an interest booking), booked that day with the value date given, so tests can make breaks with an age.
Both documents are built with our own builders, so they are valid camt.053.001.08 / MT940 by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.payments.formats.iso20022 import (
    AccountReport,
    Balance,
    BankTransactionCode,
    BusinessMessage,
    CashManagementReport,
    Entry,
    EntryDetail,
    Pacs008,
    build_camt053,
)
from apps.payments.formats.iso20022.common import Account
from apps.payments.formats.swift_mt import (
    MT103,
    MT940,
    AccountIdentification,
    StatementLine,
    StatementNumber,
    build_mt940,
    make_envelope,
)
from apps.payments.formats.swift_mt import Balance as MTBalance

SANDBOX_BIC = "SNDBDEFFXXX"
QENEX_BIC = "QNXBDEFFXXX"
DEFAULT_ACCOUNT = {"EUR": "DE89370400440532013000", "USD": "US-NOSTRO-0001"}


class StatementRequestError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def settlement_records(rail: str, parsed: Any, network_reference: str, at: float) -> list[dict[str, Any]]:
    """What one accepted submission moved, one record per payment (pacs.008 transactions, an MT103)."""
    day = datetime.fromtimestamp(at, tz=UTC).date()
    document = parsed.document if isinstance(parsed, BusinessMessage) else parsed
    records = []
    if isinstance(document, Pacs008):
        for tx in document.transactions:
            records.append(
                {
                    "rail": rail,
                    "network_reference": network_reference,
                    "amount": str(tx.amount),
                    "currency": tx.currency,
                    "end_to_end_id": tx.end_to_end_id,
                    "uetr": tx.uetr or "",
                    "day": day.isoformat(),
                    "value_date": (tx.settlement_date or document.settlement_date or day).isoformat(),
                    "at": at,
                }
            )
    elif isinstance(document, MT103):
        records.append(
            {
                "rail": rail,
                "network_reference": network_reference,
                "amount": str(document.amount),
                "currency": document.currency,
                "end_to_end_id": document.sender_reference,
                "uetr": document.uetr or "",
                "day": day.isoformat(),
                "value_date": document.value_date.isoformat(),
                "at": at,
            }
        )
    return records


@dataclass(frozen=True)
class _Line:
    amount: Decimal
    credit: bool
    day: date  # booked
    value_date: date
    end_to_end_id: str
    uetr: str
    reference: str


def _extra_lines(values: list[str], default_day: date) -> list[_Line]:
    lines = []
    for index, value in enumerate(values, start=1):
        parts = value.split(":")
        try:
            amount = Decimal(parts[0])
            mark = parts[1] if len(parts) > 1 else "D"
            day = date.fromisoformat(parts[2]) if len(parts) > 2 else default_day
        except (InvalidOperation, ValueError, IndexError):
            raise StatementRequestError(f"extra must be AMOUNT:C|D[:YYYY-MM-DD], got {value!r}", "extra") from None
        if mark not in ("C", "D") or amount <= 0:
            raise StatementRequestError(f"extra must be AMOUNT:C|D[:YYYY-MM-DD], got {value!r}", "extra")
        lines.append(_Line(amount, mark == "C", default_day, day, "NOTPROVIDED", "", f"SANDBOX-EXTRA-{index}"))
    return lines


def build_statement(
    records: list[dict[str, Any]],
    *,
    currency: str,
    day: date,
    output: str,
    opening: Decimal = Decimal(0),
    extras: list[str] | None = None,
    account: str | None = None,
    now: datetime | None = None,
) -> tuple[str, bytes]:
    """Return (content type, document) of the statement of ``currency`` for ``day``."""
    if output not in ("camt053", "mt940"):
        raise StatementRequestError("format must be camt053 or mt940", "format")
    if len(currency) != 3 or not currency.isalpha():
        raise StatementRequestError("currency must be an ISO 4217 code", "currency")
    own = [r for r in records if r["currency"] == currency]
    before = sum((Decimal(r["amount"]) for r in own if date.fromisoformat(r["day"]) < day), Decimal(0))
    opening_balance = opening - before
    lines = [
        _Line(
            Decimal(r["amount"]),
            False,
            date.fromisoformat(r["day"]),
            date.fromisoformat(r.get("value_date", r["day"])),
            r["end_to_end_id"],
            r["uetr"],
            r["network_reference"],
        )
        for r in sorted(own, key=lambda r: (r["at"], r["network_reference"]))
        if date.fromisoformat(r["day"]) == day
    ]
    lines += _extra_lines(extras or [], day)
    closing = opening_balance + sum((line.amount if line.credit else -line.amount for line in lines), Decimal(0))
    now = now or datetime.now(tz=UTC)
    cut_off = min(now, datetime.combine(day, time(23, 59, 59), tzinfo=UTC))
    account = account or DEFAULT_ACCOUNT.get(currency, f"{currency}-NOSTRO")
    if output == "camt053":
        return "application/xml", _camt053(lines, currency, day, opening_balance, closing, account, cut_off)
    return "text/plain", _mt940(lines, currency, day, opening_balance, closing, account)


def _camt053(lines, currency, day, opening, closing, account, cut_off) -> bytes:
    def balance(code: str, amount: Decimal) -> Balance:
        return Balance(code, abs(amount), currency, "DBIT" if amount < 0 else "CRDT", day)

    entries = tuple(
        Entry(
            amount=line.amount,
            currency=currency,
            credit_debit="CRDT" if line.credit else "DBIT",
            status="BOOK",
            bank_transaction_code=BankTransactionCode("PMNT", "ICDT" if not line.credit else "RCDT", "ESCT"),
            booking_date=line.day,
            value_date=line.value_date,
            account_servicer_reference=line.reference,
            details=(EntryDetail(end_to_end_id=line.end_to_end_id, uetr=line.uetr or None),),
        )
        for line in lines
    )
    iban = account if account[:2].isalpha() and account[2:4].isdigit() else None
    report = AccountReport(
        report_id=f"STMT-{currency}-{day:%Y%m%d}",
        account=Account(iban=iban, other_id=None if iban else account, currency=currency),
        balances=(balance("OPBD", opening), balance("CLBD", closing)),
        entries=entries,
        created=cut_off,
    )
    message = CashManagementReport("camt.053.001.08", f"SNDB-{currency}-{day:%Y%m%d}", cut_off, (report,))
    return build_camt053(message)


def _mt940(lines, currency, day, opening, closing, account) -> bytes:
    def balance(amount: Decimal, when: date) -> MTBalance:
        return MTBalance("D" if amount < 0 else "C", when, currency, abs(amount))

    statement_lines = tuple(
        StatementLine(
            value_date=line.value_date,
            mark="C" if line.credit else "D",
            amount=line.amount,
            transaction_type="NTRF",
            customer_reference=(line.end_to_end_id if line.end_to_end_id != "NOTPROVIDED" else "NONREF")[:16],
            entry_date=line.day,
            bank_reference=line.reference[:16],
            information=tuple(
                part
                for part in (
                    f"/EREF/{line.end_to_end_id}"[:65] if line.end_to_end_id != "NOTPROVIDED" else "",
                    f"/UETR/{line.uetr}" if line.uetr else "",
                )
                if part
            ),
        )
        for line in lines
    )
    message = MT940(
        header=make_envelope("940", sender_bic=SANDBOX_BIC, receiver_bic=QENEX_BIC),
        transaction_reference=f"STMT{day:%y%m%d}{currency}"[:16],
        account=AccountIdentification(account),
        statement_number=StatementNumber(int(day.strftime("%j")), 1),
        opening_balance=balance(opening, day),
        closing_balance=balance(closing, day),
        statement_lines=statement_lines,
    )
    return build_mt940(message).encode("ascii")

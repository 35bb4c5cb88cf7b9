"""Labelled transaction CSVs: read them into time-sorted rows (no Django).

Required columns: ``transaction_id,timestamp,customer_id,counterparty_id,amount,label`` (ISO 8601 timestamps, a
naive one is taken as UTC; ``label`` 1/0, also true/false or fraud/legit). Optional: ``currency``,
``merchant_category``, ``country``, ``channel``, and ``account_opened`` (ISO 8601; without it the customer's
first transaction in the file stands in for the account's opening), ``home_country`` and ``device_id`` (the
device the customer used, if any: ``new_device`` in ``apps.fraud.features``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .features import Txn

REQUIRED = ("transaction_id", "timestamp", "customer_id", "counterparty_id", "amount", "label")
OPTIONAL = ("currency", "merchant_category", "country", "channel", "account_opened", "home_country", "device_id")
_TRUE = {"1", "true", "yes", "fraud", "t", "y"}
_FALSE = {"0", "false", "no", "legit", "genuine", "f", "n"}


class DatasetError(ValueError):
    """The CSV is not a labelled transaction file (missing column, bad value); the message names the line."""


@dataclass(frozen=True, slots=True)
class Row:
    transaction_id: str
    txn: Txn
    label: int
    currency: str = ""


def parse_time(value: str) -> float:
    """Seconds since the epoch of an ISO 8601 time (naive: UTC)."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _label(value: str, line: int) -> int:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return 1
    if lowered in _FALSE:
        return 0
    raise DatasetError(f"line {line}: label {value!r} is not 1/0")


def write_rows(path: str | Path, rows: list[dict]) -> None:
    """Write labelled rows (dicts keyed by ``REQUIRED`` + ``OPTIONAL``) as a CSV ``read_rows`` reads back."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=(*REQUIRED, *OPTIONAL), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _row_of(record: dict, has: dict[str, bool], line: int) -> Row:
    try:
        ts = parse_time(record["timestamp"])
        amount = float(record["amount"])
        opened_text = record["account_opened"] if has["account_opened"] else ""
        opened = parse_time(opened_text) if opened_text else None
    except ValueError as exc:
        raise DatasetError(f"line {line}: {exc}") from None
    txn = Txn(
        ts=ts,
        customer_id=record["customer_id"],
        counterparty_id=record["counterparty_id"],
        amount=amount,
        merchant_category=record["merchant_category"] if has["merchant_category"] else "",
        country=record["country"] if has["country"] else "",
        channel=record["channel"] if has["channel"] else "",
        account_opened_ts=opened,
        home_country=record["home_country"] if has["home_country"] else "",
        device_id=record["device_id"] if has["device_id"] else "",
    )
    return Row(record["transaction_id"], txn, _label(str(record["label"]), line),
               record["currency"] if has["currency"] else "")


def rows_of_records(records: list[dict]) -> list[Row]:
    """Rows of dicts keyed like the CSV's columns (``apps.fraud.selectors.labelled_history``), sorted by time."""
    rows = [_row_of(record, {name: name in record for name in OPTIONAL}, line)
            for line, record in enumerate(records, start=1)]
    rows.sort(key=lambda row: row.txn.ts)
    return rows


def read_rows(path: str | Path) -> list[Row]:
    """Every row of the CSV, sorted by time (stable: equal times keep the file's order)."""
    rows: list[Row] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}; need {','.join(REQUIRED)}")
        has = {name: name in reader.fieldnames for name in OPTIONAL}
        for line, record in enumerate(reader, start=2):
            rows.append(_row_of(record, has, line))
    rows.sort(key=lambda row: row.txn.ts)
    return rows

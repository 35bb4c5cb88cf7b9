"""Arguments and input shared by fraud_train and fraud_evaluate."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError

from apps.fraud.dataset import DatasetError, read_rows
from apps.fraud.evaluation import Window, WindowError


def day(value: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def rows_of(paths: str | list[str]):
    """The rows of one CSV, or of several merged in time order (the bank's own export beside outside data)."""
    rows = []
    try:
        for path in [paths] if isinstance(paths, str) else paths:
            rows.extend(read_rows(path))
    except (OSError, DatasetError) as exc:
        raise CommandError(str(exc)) from None
    rows.sort(key=lambda row: row.txn.ts)
    return rows


def permitted_rows_of(paths: str | list[str]) -> tuple[list, int]:
    """``rows_of(paths)`` without the rows of customers whose processing is restricted or who were erased
    (apps.privacy's one check, ``training_rows_permitted``), and how many were left out. Training a model on a
    person's transactions, to register it or only to measure it, is a use beyond storing them."""
    from apps.fraud.selectors import training_rows_permitted

    rows = rows_of(paths)
    permitted = training_rows_permitted(rows=rows)
    return permitted, len(rows) - len(permitted)


def left_out_note(left_out: int) -> str:
    return f"left out {left_out:,} row(s) of customers whose processing is restricted or who were erased"


def window(first: str | None, last: str | None, rows) -> Window:
    try:
        from datetime import UTC, datetime

        first_day = day(first) if first else datetime.fromtimestamp(rows[0].txn.ts, UTC).date()
        last_day = day(last) if last else datetime.fromtimestamp(rows[-1].txn.ts, UTC).date()
        return Window.of_days(first_day, last_day)
    except WindowError as exc:
        raise CommandError(str(exc)) from None

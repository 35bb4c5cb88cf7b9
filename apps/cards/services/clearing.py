"""Clearing files: the scheme's presentments of a day, one line per authorisation to capture.

A clearing file is CSV with a header ``terminal_id,rrn,amount_minor,currency`` (currency ISO 4217 alpha); each line
is captured like an 0220 advice (``authorisation_clear``), in its own transaction, so one bad line does not hold
up the others. A repeated file captures nothing twice: each line answers with its first capture.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .. import responses as rc
from .settlement import ClearingAnswer, authorisation_clear

COLUMNS = ("terminal_id", "rrn", "amount_minor", "currency")


@dataclass(frozen=True)
class ClearingLine:
    line: int
    rrn: str
    answer: ClearingAnswer


def clearing_file_apply(*, text: str) -> list[ClearingLine]:
    """Capture every presentment of a clearing file; return each line's answer (30 for a line that does not read)."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"a clearing file's header is {','.join(COLUMNS)}")
    results = []
    for number, row in enumerate(reader, start=2):
        amount = (row.get("amount_minor") or "").strip()
        if not amount.isdigit() or not row.get("rrn") or not row.get("terminal_id"):
            results.append(
                ClearingLine(number, row.get("rrn") or "", ClearingAnswer(rc.FORMAT_ERROR, reason="bad line"))
            )
            continue
        answer = authorisation_clear(
            terminal_id=row["terminal_id"].strip(),
            rrn=row["rrn"].strip(),
            amount_minor=int(amount),
            currency=(row.get("currency") or "").strip().upper(),
            source="file",
        )
        results.append(ClearingLine(number, row["rrn"].strip(), answer))
    return results

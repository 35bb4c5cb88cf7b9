"""Consistency checks a restored (or any) database must pass before it serves: read-only SQL over the ledger.

Each rule returns the rows that break it, so a report names the offending accounts or entries. The rules are the
ledger's own (apps/ledger/invariants.py, which its crash and stateful tests hold); here they run against whatever
database the ``restore_check`` command is pointed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections

from apps.ledger.invariants import ledger_violations


@dataclass
class ConsistencyReport:
    database: str
    entries: int
    postings: int
    last_posted_at: datetime | None
    violations: dict[str, list[tuple]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


def ledger_consistency(*, using: str = "default", sample: int = 20) -> ConsistencyReport:
    """Run every rule on the database ``using``; keep at most ``sample`` offending rows per rule."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT COUNT(*), MAX(posted_at) FROM ledger_journalentry")
        entries, last = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM ledger_posting")
        (postings,) = cursor.fetchone()
    violations = ledger_violations(with_audit=True, using=using, sample=sample)
    return ConsistencyReport(
        database=connections[using].settings_dict["NAME"],
        entries=entries,
        postings=postings,
        last_posted_at=last,
        violations=violations,
    )

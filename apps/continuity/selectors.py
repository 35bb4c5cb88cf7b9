"""Consistency checks a restored (or any) database must pass before it serves: read-only SQL over the ledger.

Each rule returns the rows that break it, so a report names the offending accounts or entries. The same rules
the ledger's crash tests hold (tests/ledger/invariants.py); here they run against whatever database the
``restore_check`` command is pointed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections

_BALANCES = """(SELECT b.account_id, b.currency, b.ledger_minor + COALESCE(
    (SELECT SUM(s.ledger_minor) FROM ledger_balanceslot s WHERE s.account_id = b.account_id), 0) AS ledger_minor
  FROM ledger_accountbalance b)"""

RULES: dict[str, str] = {
    # Every currency's balances sum to zero: money neither created nor destroyed.
    "currency_sum_not_zero": """
        SELECT currency, SUM(ledger_minor) FROM {balances} bal GROUP BY currency HAVING SUM(ledger_minor) <> 0
        ORDER BY currency""",
    # The cached balance (row plus hot slots) is the sum of the account's postings.
    "cached_balance_not_sum_of_postings": """
        SELECT COALESCE(b.account_id, p.account_id), b.ledger_minor, p.total
        FROM {balances} b
        FULL OUTER JOIN (SELECT account_id, SUM(amount_minor) AS total FROM ledger_posting GROUP BY account_id) p
          ON p.account_id = b.account_id
        WHERE b.ledger_minor IS DISTINCT FROM p.total AND NOT (p.total IS NULL AND b.ledger_minor = 0)
        ORDER BY 1""",
    "entry_unbalanced_per_currency": """
        SELECT entry_id, currency, SUM(amount_minor) FROM ledger_posting GROUP BY entry_id, currency
        HAVING SUM(amount_minor) <> 0 ORDER BY 1, 2""",
    "entry_with_fewer_than_two_postings": """
        SELECT e.id, e.public_id, COUNT(p.id) FROM ledger_journalentry e
        LEFT JOIN ledger_posting p ON p.entry_id = e.id
        GROUP BY e.id, e.public_id HAVING COUNT(p.id) < 2 ORDER BY 1""",
    # Every entry has its audit record (written in the same transaction), alone or listed by its batch's record.
    "entry_without_audit_record": """
        SELECT e.public_id FROM ledger_journalentry e
        WHERE NOT EXISTS (SELECT 1 FROM audit_auditrecord r
                          WHERE r.object_type = 'transaction' AND r.object_id = e.public_id)
          AND NOT EXISTS (SELECT 1 FROM audit_auditrecord r WHERE r.action = 'ledger.batch_posted'
                          AND r.after -> 'transactions' @> jsonb_build_array(jsonb_build_array(e.public_id)))
        ORDER BY 1""",
}


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
        violations = {}
        for rule, sql in RULES.items():
            cursor.execute(sql.replace("{balances}", _BALANCES) + " LIMIT %s", [int(sample)])
            rows = [tuple(row) for row in cursor.fetchall()]
            if rows:
                violations[rule] = rows
    return ConsistencyReport(
        database=connections[using].settings_dict["NAME"],
        entries=entries,
        postings=postings,
        last_posted_at=last,
        violations=violations,
    )

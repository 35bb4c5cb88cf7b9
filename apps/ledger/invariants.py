"""The ledger's exactness invariants as read-only SQL over a whole database.

Each rule returns the rows that break it (none when the ledger is exact), so a report names the offending
accounts or entries. The stateful and crash tests hold the ledger to them after every step, and
``manage.py restore_check`` (apps.continuity) runs them against a restored database before it serves.
"""

from __future__ import annotations

from django.db import connections

from apps.accounts.models import BANK_OWNER_ID

_CURRENCY_SUMS = """
SELECT currency, SUM(ledger_minor) FROM {balances} bal GROUP BY currency HAVING SUM(ledger_minor) <> 0
ORDER BY currency
"""

# Cached balance against the sum of the account's postings; an account with postings but no balance row
# (or the reverse) shows up with a NULL on one side.
_CACHED_VS_POSTINGS = """
SELECT COALESCE(b.account_id, p.account_id), b.ledger_minor, p.total
FROM {balances} b
FULL OUTER JOIN (SELECT account_id, SUM(amount_minor) AS total FROM ledger_posting GROUP BY account_id) p
  ON p.account_id = b.account_id
WHERE b.ledger_minor IS DISTINCT FROM p.total AND NOT (p.total IS NULL AND b.ledger_minor = 0)
ORDER BY 1
"""

_UNBALANCED_ENTRIES = """
SELECT entry_id, currency, SUM(amount_minor) FROM ledger_posting GROUP BY entry_id, currency
HAVING SUM(amount_minor) <> 0 ORDER BY 1, 2
"""

_ENTRIES_WITHOUT_POSTINGS = """
SELECT e.id, e.public_id, COUNT(p.id) FROM ledger_journalentry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
GROUP BY e.id, e.public_id HAVING COUNT(p.id) < 2 ORDER BY 1
"""

# Each customer posting's balance_after_minor is the running sum of the account's postings in posting order.
# (Customer accounts only: the bank's high-volume accounts may spread their balance over slots.)
_RUNNING_BALANCES = """
SELECT t.id, t.account_id, t.balance_after_minor, t.running FROM (
  SELECT p.id, p.account_id, p.balance_after_minor,
         SUM(p.amount_minor) OVER (PARTITION BY p.account_id ORDER BY p.id) AS running
  FROM ledger_posting p JOIN accounts_account a ON a.id = p.account_id WHERE a.owner_id <> %s
) t WHERE t.running <> t.balance_after_minor ORDER BY 1
"""

# available = ledger - open holds + overdraft limit, for every customer account.
_BELOW_LIMIT = """
SELECT a.id, a.public_id, COALESCE(b.ledger_minor, 0), COALESCE(h.held, 0), a.overdraft_limit_minor
FROM accounts_account a
LEFT JOIN {balances} b ON b.account_id = a.id
LEFT JOIN (SELECT account_id, SUM(amount_minor) AS held FROM ledger_hold
           WHERE status = 'AUTHORIZED' AND expires_at > now() GROUP BY account_id) h ON h.account_id = a.id
WHERE a.owner_id <> %s AND COALESCE(b.ledger_minor, 0) - COALESCE(h.held, 0) + a.overdraft_limit_minor < 0
ORDER BY 1
"""

_CAPTURES_WITHOUT_ENTRY = """
SELECT id, public_id FROM ledger_hold
WHERE (status = 'CAPTURED') <> (capture_entry_id IS NOT NULL) OR captured_minor > amount_minor ORDER BY 1
"""

_ENTRIES_WITHOUT_AUDIT = """
SELECT e.public_id FROM ledger_journalentry e
WHERE NOT EXISTS (SELECT 1 FROM audit_auditrecord r WHERE r.object_type = 'transaction' AND r.object_id = e.public_id)
  -- a batch's entries are listed by its one record
  AND NOT EXISTS (SELECT 1 FROM audit_auditrecord r WHERE r.action = 'ledger.batch_posted'
                  AND r.after -> 'transactions' @> jsonb_build_array(jsonb_build_array(e.public_id)))
ORDER BY 1
"""


# A cached balance is the balance row plus, for a high-volume (hot) account, its balance slots.
_BALANCES = """(SELECT b.account_id, b.currency, b.ledger_minor + COALESCE(
    (SELECT SUM(s.ledger_minor) FROM ledger_balanceslot s WHERE s.account_id = b.account_id), 0) AS ledger_minor
  FROM ledger_accountbalance b)"""


_RULES: dict[str, tuple[str, tuple]] = {
    "currency_sum_not_zero": (_CURRENCY_SUMS, ()),
    "cached_balance_not_sum_of_postings": (_CACHED_VS_POSTINGS, ()),
    "entry_unbalanced_per_currency": (_UNBALANCED_ENTRIES, ()),
    "entry_with_fewer_than_two_postings": (_ENTRIES_WITHOUT_POSTINGS, ()),
    "running_balance_wrong": (_RUNNING_BALANCES, (BANK_OWNER_ID,)),
    "customer_below_overdraft_limit": (_BELOW_LIMIT, (BANK_OWNER_ID,)),
    "hold_capture_inconsistent": (_CAPTURES_WITHOUT_ENTRY, ()),
}


def ledger_violations(
    *, with_audit: bool = False, using: str = "default", sample: int | None = None
) -> dict[str, list[tuple]]:
    """Return {rule: offending rows} for every rule that does not hold (an empty dict when all hold).

    ``with_audit`` also asks that every entry has its audit record (written in the same transaction);
    ``sample`` keeps at most that many offending rows per rule.
    """
    rules = dict(_RULES)
    if with_audit:
        rules["entry_without_audit_record"] = (_ENTRIES_WITHOUT_AUDIT, ())
    found: dict[str, list[tuple]] = {}
    with connections[using].cursor() as cursor:
        for rule, (sql, params) in rules.items():
            sql = sql.replace("{balances}", _BALANCES).rstrip()
            if sample is not None:
                sql, params = f"{sql} LIMIT %s", (*params, int(sample))
            cursor.execute(sql, params)
            rows = [tuple(row) for row in cursor.fetchall()]
            if rows:
                found[rule] = rows
    return found

"""Helpers for tests of what reaches the audit trail: the records a block wrote, and the lock rule.

``audit_record`` locks its shard's chain head until commit, so in each transaction it must be the last write, and
no row may be locked after it. Inside a test every service transaction is a savepoint of the test's own
transaction; a statement outside any savepoint would be a transaction of its own in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from apps.audit.chain import HASHED_FIELDS, record_hash
from apps.audit.models import AuditRecord

AUDIT_TABLES = ('"audit_auditrecord"', '"audit_auditchainhead"')
WRITE_OR_LOCK = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?UPDATE\b|\bFOR (KEY )?SHARE\b", re.I)


class SqlLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)

    @property
    def audit_writes(self) -> int:
        return sum(1 for sql in self.statements if sql.lstrip().upper().startswith('INSERT INTO "AUDIT_AUDITRECORD"'))

    def violations(self) -> list[str]:
        """Statements that write or lock a row after an audit write of the same transaction."""
        depth, audited, found = 0, False, []
        for sql in self.statements:
            head = sql.lstrip().upper()
            if head.startswith("SAVEPOINT"):
                depth += 1
                continue
            if head.startswith("RELEASE SAVEPOINT"):
                depth -= 1
                audited = audited and depth > 0
                continue
            if head.startswith("ROLLBACK TO SAVEPOINT"):
                continue
            writes = WRITE_OR_LOCK.search(sql) is not None
            if any(table in sql for table in AUDIT_TABLES):
                audited = audited or writes  # the chain head locked, a record appended (reads do not count)
            elif audited and writes:
                found.append(sql)
            if depth == 0:
                audited = False  # an autocommit statement is a transaction of its own
        return found


@contextmanager
def sql_log() -> Iterator[SqlLog]:
    log = SqlLog()
    with connection.execute_wrapper(log):
        yield log


def last_sequence() -> int:
    record = AuditRecord.objects.order_by("-sequence").first()
    return record.sequence if record else 0


def records_since(sequence: int, prefix: str = "") -> list[AuditRecord]:
    """The records appended after ``sequence`` (whose action starts with ``prefix``), oldest first."""
    return list(AuditRecord.objects.filter(sequence__gt=sequence, action__startswith=prefix).order_by("sequence"))


def as_superuser(sql: str, params=()) -> None:
    """Do what only a superuser or the table owner can: run ``sql`` with the triggers off (this statement only)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def rewrite_shard_as_superuser(record: AuditRecord, actor: str = "mallory") -> None:
    """Edit ``record`` and recompute every later hash of its shard and the shard's head, the triggers off.

    The result is a consistent chain again: only a checkpoint signed before the edit can tell.
    """
    rows = list(AuditRecord.objects.filter(shard=record.shard).order_by("shard_sequence").values(*HASHED_FIELDS))
    prev = rows[0]["prev_hash"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for row in rows:
            if row["shard_sequence"] == record.shard_sequence:
                row["actor"] = actor
            row["prev_hash"] = prev
            prev = record_hash(**row)
            cursor.execute(
                "UPDATE audit_auditrecord SET actor = %s, prev_hash = %s, hash = %s"
                " WHERE shard = %s AND shard_sequence = %s",
                [row["actor"], row["prev_hash"], prev, row["shard"], row["shard_sequence"]],
            )
        cursor.execute("UPDATE audit_auditchainhead SET hash = %s WHERE id = %s", [prev, record.shard])
        cursor.execute("SET LOCAL session_replication_role = origin")


def unpin() -> None:
    """Forget which shard this connection's transaction writes to, as if the next record began a transaction.

    A test runs inside one transaction, so every record of it would otherwise share the first one's shard.
    """
    if hasattr(connection, "_qenex_audit_pin"):
        del connection._qenex_audit_pin

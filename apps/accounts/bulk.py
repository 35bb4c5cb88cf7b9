"""Bulk creation of customer accounts with PostgreSQL COPY, for synthetic history (``manage.py generate_history``).

Not a path for real customers: no idempotency key, no audit record per account (the caller writes one record for
the whole batch), no encrypted name (a blank name is stored blank, as ``Account.save`` would). It exists so the
ledger's history generator does not write this app's table itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from .models import CUSTOMER_TYPES, AccountStatus

COPY_ACCOUNTS = (
    "COPY accounts_account (id, public_id, owner_id, account_type, currency, status, name, name_bidx,"
    " overdraft_limit_minor, idempotency_key, request_fingerprint, created_at, updated_at) FROM STDIN"
)


@dataclass(frozen=True)
class NewAccount:
    public_id: str
    owner_id: str
    account_type: str
    currency: str
    overdraft_limit_minor: int


def next_ids(table: str, count: int) -> list[int]:
    """Reserve ``count`` values of ``table``'s id sequence (identity column) and return them in order."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


def accounts_copy(*, accounts: Iterable[NewAccount], created_at: datetime) -> list[int]:
    """Insert ACTIVE customer accounts in one COPY, inside the caller's transaction; return their pks in order."""
    if not connection.in_atomic_block:
        raise RuntimeError("accounts_copy runs inside the caller's transaction")
    rows = list(accounts)
    for row in rows:
        if row.account_type not in CUSTOMER_TYPES:
            raise ValueError(f"{row.account_type} is not a customer account type")
    ids = next_ids("accounts_account", len(rows))
    stamp = created_at.isoformat()
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(COPY_ACCOUNTS) as copy:
        buffer: list[str] = []
        for pk, row in zip(ids, rows, strict=True):
            buffer.append(
                f"{pk}\t{row.public_id}\t{row.owner_id}\t{row.account_type}\t{row.currency}\t{AccountStatus.ACTIVE.value}"
                f"\t\t\t{row.overdraft_limit_minor}\t\\N\t\t{stamp}\t{stamp}\n"
            )
            if len(buffer) >= 10_000:
                copy.write("".join(buffer))
                buffer.clear()
        copy.write("".join(buffer))
    return ids

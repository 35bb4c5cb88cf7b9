"""The posting engine: the one place that locks, answers replays, checks balances and writes entries.

Every posting service (deposits, withdrawals, fees, transfers, FX, reversals, hold captures, batches) runs the
same four steps inside its transaction, and each step is one statement on PostgreSQL:

1. ``lock``: the touched accounts, ``SELECT ... FOR NO KEY UPDATE`` in ascending primary key (the one lock order,
   see ``apps.accounts.locks``), plus the balance slot each hot account will take (in (account, slot) order,
   after every account row). Hot accounts' own rows are read, not locked: that row is what postings to them
   would otherwise queue on.
2. ``read_state``: cached balances (balance row + slots), open holds of the accounts that may be debited, and
   the entries already posted under the request's idempotency keys. A separate statement on purpose: it runs
   after the locks are granted, so under READ COMMITTED it sees everything committed before them (the
   statement that waited for a lock still reads its old snapshot).
3. ``plan``: pure Python over that state: balanced per currency, balance limits, available funds (the one rule,
   ``apps.ledger.rules.available_minor``), running balances. Nothing is written until every check passed.
4. ``write``: one data-modifying CTE inserts the entries (``unnest`` of arrays), their postings, upserts the
   balance rows and updates the hot slots. The deferred invariant triggers (migration 0002) still check each
   entry at COMMIT.

The audit record (the caller's last write) and the after-commit live updates follow. SQLite (development only)
runs the same plan with ORM statements and no row locks (SQLite serialises writers itself).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, Sum

from apps.accounts.errors import AccountNotFound
from apps.accounts.models import Account
from apps.core.errors import BalanceLimitExceeded
from apps.core.ids import new_public_id
from apps.core.limits import check_balance_minor

from ..errors import InsufficientFunds, UnbalancedEntry
from ..models import AccountBalance, BalanceSlot, Hold, HoldStatus, JournalEntry, Posting
from ..rules import available_minor

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1  # the range of a balance column

# The columns of an account the engine needs (never the encrypted name: decrypting it would cost every posting).
_ACCOUNT_COLUMNS = ("id", "public_id", "owner_id", "account_type", "currency", "status", "overdraft_limit_minor")


def gl_overflow() -> BalanceLimitExceeded:
    # Customer balances are capped far below the range (apps.core.limits); only the bank's own accounts, which
    # sum many customers' movements, can get here. Refused, so a full GL account never turns into a 500.
    return BalanceLimitExceeded(
        "this posting would take one of the bank's own accounts beyond the ledger's 64-bit range", field="amount"
    )


# --- hot accounts ------------------------------------------------------------------------------------------


class _HotAccounts:
    """This process's view of which accounts are hot, refreshed every QENEX_HOT_ACCOUNTS_REFRESH_SECONDS.

    A stale view costs speed, never exactness: a balance is always its row plus all its slots, so a posting that
    updates the row of an account just made hot, or a slot of one no longer hot, still sums correctly.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[int, int] = {}
        self._read_at = float("-inf")

    def slots(self) -> dict[int, int]:
        now = time.monotonic()
        if now - self._read_at >= settings.QENEX_HOT_ACCOUNTS_REFRESH_SECONDS:
            from ..selectors import hot_accounts

            slots = hot_accounts()
            with self._lock:
                self._slots, self._read_at = slots, now
        return self._slots

    def forget(self) -> None:
        with self._lock:
            self._read_at = float("-inf")


hot = _HotAccounts()


# --- step 1: lock ------------------------------------------------------------------------------------------


@dataclass
class Locked:
    """The accounts of one transaction, by primary key and by public id, and the slot of each hot one."""

    accounts: dict[int, Account]
    by_public_id: dict[str, Account]
    hot_slot: dict[int, int] = field(default_factory=dict)

    def named(self, public_id: str, field: str) -> Account:
        account = self.by_public_id.get(public_id) if isinstance(public_id, str) else None
        if account is None:
            raise AccountNotFound(f"no account {public_id}", field=field)
        return account


def _account(row: Sequence[Any]) -> Account:
    return Account.from_db(connection.alias, _ACCOUNT_COLUMNS, row)


_LOCK_SQL = """
WITH locked AS (
    SELECT {cols} FROM accounts_account WHERE id = ANY(%s) OR public_id = ANY(%s) ORDER BY id FOR NO KEY UPDATE
), hot AS (
    SELECT {cols} FROM accounts_account WHERE id = ANY(%s)
), slots AS (
    SELECT account_id FROM ledger_balanceslot
    WHERE (account_id, slot) IN (SELECT * FROM unnest(%s::bigint[], %s::int[]))
    ORDER BY account_id, slot FOR NO KEY UPDATE
)
SELECT {cols} FROM locked UNION ALL SELECT {cols} FROM hot UNION ALL SELECT {nulls} FROM slots
"""
_LOCK_STALE_SQL = "SELECT {cols} FROM accounts_account WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE".replace(
    "{cols}", ", ".join(_ACCOUNT_COLUMNS)
)
_LOCK_SQL = _LOCK_SQL.replace("{cols}", ", ".join(_ACCOUNT_COLUMNS)).replace(
    "{nulls}", "account_id, " + ", ".join(["NULL"] * (len(_ACCOUNT_COLUMNS) - 1))
)


def lock(*, public_ids: Iterable[str] = (), pks: Iterable[int] = ()) -> Locked:
    """Lock the named accounts (public ids of customers' accounts, primary keys of any) for this transaction.

    Hot accounts among ``pks`` are not locked; each gets a random balance slot, whose row is locked instead.
    """
    names = sorted({p for p in public_ids if isinstance(p, str)})
    ids = set(pks)
    hot_slots = hot.slots()
    hot_ids = {pk: hot_slots[pk] for pk in ids if pk in hot_slots}
    chosen = {pk: random.randrange(n) for pk, n in sorted(hot_ids.items())}
    ids -= set(hot_ids)
    accounts: dict[int, Account] = {}
    if connection.vendor == "postgresql":
        slot_pks, slot_nos = list(chosen), list(chosen.values())
        slotted: set[int] = set()
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL, [sorted(ids), names, sorted(hot_ids), slot_pks, slot_nos])
            for row in cursor.fetchall():
                if row[1] is not None:
                    accounts[row[0]] = _account(row)
                else:
                    slotted.add(row[0])
        stale = sorted(set(chosen) - slotted)
        if stale:
            # This process thought these accounts hot, but their slot rows are not there (a test database rolled
            # back): lock their rows instead, as ordinary accounts. Rare, and after the other locks, so a deadlock
            # is possible and retried like any other.
            hot.forget()
            for pk in stale:
                del chosen[pk]
            with connection.cursor() as cursor:
                cursor.execute(_LOCK_STALE_SQL, [stale])
                for row in cursor.fetchall():
                    accounts[row[0]] = _account(row)
    else:
        rows = (
            Account.objects.filter(Q(pk__in=ids | set(hot_ids)) | Q(public_id__in=names))
            .order_by("pk")
            .values_list(*_ACCOUNT_COLUMNS)
        )
        accounts = {row[0]: _account(row) for row in rows}
        present = set(BalanceSlot.objects.filter(account_id__in=list(chosen)).values_list("account_id", "slot"))
        for pk, slot in list(chosen.items()):
            if (pk, slot) not in present:
                hot.forget()
                del chosen[pk]
    return Locked(
        accounts=accounts,
        by_public_id={a.public_id: a for a in accounts.values()},
        hot_slot={pk: slot for pk, slot in chosen.items() if pk in accounts},
    )


# --- step 2: read the state --------------------------------------------------------------------------------


# One namespace of idempotency keys for postings and holds: a key that placed a hold answers any posting request
# with ``idempotency_key_reused`` (this fingerprint matches no request), never with a second, different effect.
HOLD_KEY = "hold"


@dataclass
class State:
    """What the locked accounts hold right now, and which idempotency keys were used already."""

    balance: dict[int, int]  # account pk -> cached ledger balance
    held: dict[int, int]  # account pk -> open holds
    replays: dict[str, tuple[int, str]]  # idempotency key -> (entry pk, request fingerprint); HOLD_KEY for a hold


_STATE_SQL = """
SELECT 'b', b.account_id, b.ledger_minor + COALESCE(
        (SELECT SUM(s.ledger_minor) FROM ledger_balanceslot s WHERE s.account_id = b.account_id), 0)::bigint, NULL
    FROM ledger_accountbalance b WHERE b.account_id = ANY(%s)
UNION ALL
SELECT 'h', h.account_id, SUM(h.amount_minor)::bigint, NULL FROM ledger_hold h
    WHERE h.account_id = ANY(%s) AND h.status = 'AUTHORIZED' AND h.expires_at > %s AND h.id <> %s
    GROUP BY h.account_id
UNION ALL
SELECT 'k', e.id, NULL, e.idempotency_key || ' ' || e.request_fingerprint FROM ledger_journalentry e
    WHERE e.idempotency_key = ANY(%s)
UNION ALL
SELECT 'k', 0, NULL, h.idempotency_key || ' hold' FROM ledger_hold h WHERE h.idempotency_key = ANY(%s)
"""


def read_state(
    locked: Locked, *, debited: Iterable[int], keys: Iterable[str | None], now: datetime, exclude_hold_id: int = 0
) -> State:
    """Read balances, the open holds of the accounts in ``debited`` and the entries posted under ``keys``."""
    ids = sorted(locked.accounts)
    debit_ids = sorted(set(debited))
    key_list = sorted({k for k in keys if k})
    state = State(balance=dict.fromkeys(ids, 0), held=dict.fromkeys(debit_ids, 0), replays={})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_STATE_SQL, [ids, debit_ids, now, exclude_hold_id or 0, key_list, key_list])
            for kind, pk, value, text in cursor.fetchall():
                if kind == "b":
                    state.balance[pk] = value
                elif kind == "h":
                    state.held[pk] = value
                else:
                    key, fingerprint = text.rsplit(" ", 1)
                    if key not in state.replays or fingerprint != HOLD_KEY:
                        state.replays[key] = (pk, fingerprint)
        return state
    for pk, base in AccountBalance.objects.filter(account_id__in=ids).values_list("account_id", "ledger_minor"):
        state.balance[pk] = base
    for pk, total in (
        BalanceSlot.objects.filter(account_id__in=ids).values("account_id").annotate(t=Sum("ledger_minor"))
    ).values_list("account_id", "t"):
        state.balance[pk] += total
    holds = Hold.objects.filter(account_id__in=debit_ids, status=HoldStatus.AUTHORIZED, expires_at__gt=now)
    for pk, total in (
        holds.exclude(pk=exclude_hold_id or 0).values("account_id").annotate(t=Sum("amount_minor"))
    ).values_list("account_id", "t"):
        state.held[pk] = total
    for pk, key, fingerprint in JournalEntry.objects.filter(idempotency_key__in=key_list).values_list(
        "pk", "idempotency_key", "request_fingerprint"
    ):
        state.replays[key] = (pk, fingerprint)
    for key in Hold.objects.filter(idempotency_key__in=key_list).values_list("idempotency_key", flat=True):
        state.replays[key] = (0, HOLD_KEY)
    return state


# --- step 3: plan ------------------------------------------------------------------------------------------


@dataclass
class EntrySpec:
    """One entry to post: its legs (account pk, +credit / -debit in minor units) and what it says."""

    entry_type: str
    legs: list[tuple[int, int]]
    amount_minor: int
    currency: str
    from_account_id: int | None = None
    to_account_id: int | None = None
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    request_fp: str = ""
    actor: str = "system"
    reverses_id: int | None = None
    field_by_account: dict[int, str] = field(default_factory=dict)


@dataclass
class PlannedEntry:
    spec: EntrySpec
    public_id: str
    postings: list[tuple[int, str, int, int | None]]  # (account pk, currency, amount, balance after or None)
    pk: int | None = None


def plan(spec: EntrySpec, locked: Locked, state: State) -> PlannedEntry:
    """Check one entry against ``state`` and return it planned; ``state`` then includes its movements.

    Raises (and leaves ``state`` as it was) when the entry does not balance or would break a limit.
    """
    legs = spec.legs
    if len(legs) < 2:
        raise UnbalancedEntry("an entry needs at least two postings")
    per_currency: dict[str, int] = {}
    net: dict[int, int] = {}
    for pk, amount in legs:
        if amount == 0:
            raise UnbalancedEntry("a posting cannot be zero")
        currency = locked.accounts[pk].currency
        per_currency[currency] = per_currency.get(currency, 0) + amount
        net[pk] = net.get(pk, 0) + amount
    if any(total != 0 for total in per_currency.values()):
        raise UnbalancedEntry(f"postings do not balance per currency: {per_currency}")
    new_balance: dict[int, int] = {}
    for pk, movement in net.items():
        account = locked.accounts[pk]
        after = state.balance[pk] + movement
        if not BIGINT_MIN <= after <= BIGINT_MAX:
            raise gl_overflow()
        new_balance[pk] = after
        if account.is_internal or movement == 0:
            continue  # the bank's own GL accounts carry no limit but the 64-bit range
        if movement > 0:
            check_balance_minor(after, account.currency, field=spec.field_by_account.get(pk, "to_account"))
        elif (
            available_minor(
                ledger_minor=after,
                held_minor=state.held.get(pk, 0),
                overdraft_limit_minor=account.overdraft_limit_minor,
            )
            < 0
        ):
            raise InsufficientFunds(
                f"account {account.public_id} has insufficient available funds",
                field=spec.field_by_account.get(pk, "from_account"),
            )
    running = {pk: state.balance[pk] for pk in net}
    postings = []
    for pk, amount in legs:
        running[pk] += amount
        after = None if pk in locked.hot_slot else running[pk]
        postings.append((pk, locked.accounts[pk].currency, amount, after))
    state.balance.update(new_balance)
    return PlannedEntry(spec=spec, public_id=new_public_id("txn"), postings=postings)


# --- step 4: write -----------------------------------------------------------------------------------------


_WRITE_SQL = """
WITH entries AS (
    INSERT INTO ledger_journalentry (public_id, entry_type, from_account_id, to_account_id, amount_minor, currency,
        description, metadata, reverses_id, idempotency_key, request_fingerprint, actor, posted_at)
    SELECT u.public_id, u.entry_type, u.from_id, u.to_id, u.amount, u.currency, u.description, u.metadata::jsonb,
        u.reverses_id, u.idem_key, u.fp, u.actor, %s
    FROM unnest(%s::varchar[], %s::varchar[], %s::bigint[], %s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[],
        %s::text[], %s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[]) WITH ORDINALITY
        AS u(public_id, entry_type, from_id, to_id, amount, currency, description, metadata, reverses_id, idem_key,
             fp, actor, ord)
    ORDER BY u.ord
    RETURNING id, public_id
), postings AS (
    INSERT INTO ledger_posting (entry_id, account_id, currency, amount_minor, balance_after_minor, posted_at)
    SELECT entries.id, u.account_id, u.currency, u.amount, u.balance_after, %s
    FROM unnest(%s::varchar[], %s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[]) WITH ORDINALITY
        AS u(entry_public_id, account_id, currency, amount, balance_after, ord)
    JOIN entries ON entries.public_id = u.entry_public_id
    ORDER BY u.ord
), balances AS (
    INSERT INTO ledger_accountbalance (account_id, currency, ledger_minor, hot_slots, updated_at)
    SELECT u.account_id, u.currency, u.delta, 0, %s FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[])
        AS u(account_id, currency, delta)
    ON CONFLICT (account_id) DO UPDATE
        SET ledger_minor = ledger_accountbalance.ledger_minor + EXCLUDED.ledger_minor, updated_at = EXCLUDED.updated_at
), slots AS (
    UPDATE ledger_balanceslot SET ledger_minor = ledger_balanceslot.ledger_minor + u.delta
    FROM unnest(%s::bigint[], %s::int[], %s::bigint[]) AS u(account_id, slot, delta)
    WHERE ledger_balanceslot.account_id = u.account_id AND ledger_balanceslot.slot = u.slot
    RETURNING 1
)
SELECT id, public_id, (SELECT count(*) FROM slots) FROM entries
"""


def write(planned: list[PlannedEntry], locked: Locked, *, now: datetime) -> None:
    """Write the planned entries, their postings and the balance changes; set each entry's ``pk``."""
    if not planned:
        return
    base_delta: dict[int, int] = {}
    slot_delta: dict[int, int] = {}
    for entry in planned:
        for pk, _currency, amount, _after in entry.postings:
            target = slot_delta if pk in locked.hot_slot else base_delta
            target[pk] = target.get(pk, 0) + amount
    if connection.vendor == "postgresql":
        _write_postgresql(planned, locked, now=now, base_delta=base_delta, slot_delta=slot_delta)
    else:
        _write_orm(planned, locked, now=now, base_delta=base_delta, slot_delta=slot_delta)


def _write_postgresql(
    planned: list[PlannedEntry], locked: Locked, *, now: datetime, base_delta: dict, slot_delta: dict
) -> None:
    specs = [p.spec for p in planned]
    params: list[Any] = [
        now,
        [p.public_id for p in planned],
        [s.entry_type for s in specs],
        [s.from_account_id for s in specs],
        [s.to_account_id for s in specs],
        [s.amount_minor for s in specs],
        [s.currency for s in specs],
        [s.description for s in specs],
        [json.dumps(s.metadata, separators=(",", ":")) for s in specs],
        [s.reverses_id for s in specs],
        [s.idempotency_key for s in specs],
        [s.request_fp if s.idempotency_key else "" for s in specs],
        [(s.actor or "")[:150] for s in specs],
        now,
    ]
    rows = [(p.public_id, *posting) for p in planned for posting in p.postings]
    params += [list(column) for column in zip(*rows, strict=True)]
    params += [now, list(base_delta), [locked.accounts[pk].currency for pk in base_delta], list(base_delta.values())]
    params += [list(slot_delta), [locked.hot_slot[pk] for pk in slot_delta], list(slot_delta.values())]
    with connection.cursor() as cursor:
        cursor.execute(_WRITE_SQL, params)
        rows = cursor.fetchall()
    if rows[0][2] != len(slot_delta):
        # A slot this process thought existed does not: never write postings whose balance change went nowhere.
        hot.forget()
        raise UnbalancedEntry("a hot account's balance slot is missing; the posting was not written")
    ids = {public_id: pk for pk, public_id, _slots in rows}
    for entry in planned:
        entry.pk = ids[entry.public_id]


def _write_orm(planned: list[PlannedEntry], locked: Locked, *, now: datetime, base_delta: dict, slot_delta: dict):
    entries = [
        JournalEntry(
            public_id=p.public_id,
            entry_type=p.spec.entry_type,
            from_account_id=p.spec.from_account_id,
            to_account_id=p.spec.to_account_id,
            amount_minor=p.spec.amount_minor,
            currency=p.spec.currency,
            description=p.spec.description,
            metadata=p.spec.metadata,
            reverses_id=p.spec.reverses_id,
            idempotency_key=p.spec.idempotency_key,
            request_fingerprint=p.spec.request_fp if p.spec.idempotency_key else "",
            actor=(p.spec.actor or "")[:150],
            posted_at=now,
        )
        for p in planned
    ]
    JournalEntry.objects.bulk_create(entries)
    for p, entry in zip(planned, entries, strict=True):
        p.pk = entry.pk
    Posting.objects.bulk_create(
        Posting(
            entry_id=p.pk, account_id=pk, currency=cur, amount_minor=amount, balance_after_minor=after, posted_at=now
        )
        for p in planned
        for pk, cur, amount, after in p.postings
    )
    for pk, delta in base_delta.items():
        updated = AccountBalance.objects.filter(account_id=pk).update(ledger_minor=F("ledger_minor") + delta)
        if not updated:
            AccountBalance.objects.create(account_id=pk, currency=locked.accounts[pk].currency, ledger_minor=delta)
    for pk, delta in slot_delta.items():
        if not BalanceSlot.objects.filter(account_id=pk, slot=locked.hot_slot[pk]).update(
            ledger_minor=F("ledger_minor") + delta
        ):
            hot.forget()
            raise UnbalancedEntry("a hot account's balance slot is missing; the posting was not written")


def as_models(entry: PlannedEntry, locked: Locked, *, now: datetime, reverses: JournalEntry | None = None):
    """The written entry as a JournalEntry with its postings cached, so the response needs no query.

    If the database goes away right after the commit, the client must still learn that its money moved; a
    query while serialising would turn a posted transfer into an error. The cache is Django's own prefetch
    cache, which ``entry.postings.all()`` reads; a new entry is reversed by nothing yet.
    """
    spec = entry.spec
    accounts = locked.accounts
    model = JournalEntry(
        pk=entry.pk,
        public_id=entry.public_id,
        entry_type=spec.entry_type,
        from_account=accounts.get(spec.from_account_id) if spec.from_account_id else None,
        to_account=accounts.get(spec.to_account_id) if spec.to_account_id else None,
        amount_minor=spec.amount_minor,
        currency=spec.currency,
        description=spec.description,
        metadata=spec.metadata,
        reverses=reverses,
        idempotency_key=spec.idempotency_key,
        request_fingerprint=spec.request_fp if spec.idempotency_key else "",
        actor=(spec.actor or "")[:150],
        posted_at=now,
    )
    model._state.adding, model._state.db = False, connection.alias
    postings = [
        Posting(
            entry=model,
            account=accounts[pk],
            currency=cur,
            amount_minor=amount,
            balance_after_minor=after,
            posted_at=now,
        )
        for pk, cur, amount, after in entry.postings
    ]
    prefetched = model.postings.all()
    prefetched._result_cache = postings
    prefetched._prefetch_done = True
    model._prefetched_objects_cache = {"postings": prefetched}
    JournalEntry.reversed_by.related.set_cached_value(model, None)
    return model, postings

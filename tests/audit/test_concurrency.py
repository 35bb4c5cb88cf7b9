"""Many transactions append to the audit chain shards at once on PostgreSQL: no gaps, no forks, no deadlocks,
and writers of different shards do not wait for each other."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from apps.audit.chain import shard_of
from apps.audit.models import AuditChainHead, AuditRecord
from apps.audit.services import audit_record
from apps.audit.verification import audit_chain_verify
from apps.core.errors import DomainError
from apps.ledger import services
from apps.ledger.models import EntryType, JournalEntry
from apps.ledger.services import account_change_status, account_open

pytestmark = [pytest.mark.django_db(transaction=True)]

THREADS = 8
OPS_PER_THREAD = 30


def _run_threads(worker, count: int = THREADS) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            worker(index)
        except BaseException as exc:  # noqa: BLE001 - asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [], errors


def _assert_every_shard_is_one_unbroken_chain() -> None:
    report = audit_chain_verify(batch_size=50)
    assert report.ok, [str(p) for p in report.problems]
    for head in AuditChainHead.objects.filter(sequence__gt=0):
        chain = AuditRecord.objects.filter(shard=head.id)
        positions = list(chain.order_by("shard_sequence").values_list("shard_sequence", flat=True))
        assert positions == list(range(1, head.sequence + 1))  # no gaps
        assert chain.values("prev_hash").distinct().count() == head.sequence  # no forks
    assert report.records_checked == AuditRecord.objects.count()


@pytest.mark.slow
def test_concurrent_postings_keep_every_shard_one_unbroken_chain(on_postgresql):
    accounts = [
        account_open(owner_id=f"c{i}", account_type="CHECKING", currency="USD", initial_balance="100.00")
        for i in range(4)
    ]
    ids = [a.public_id for a in accounts]

    def worker(index: int) -> None:
        rng = random.Random(index)
        for _ in range(OPS_PER_THREAD):
            src, dst = rng.sample(ids, 2)
            try:
                if rng.random() < 0.1:
                    account_change_status(public_id=src, status=rng.choice(["ACTIVE", "FROZEN"]))
                else:
                    services.post_transfer(from_account=src, to_account=dst, amount="1.00", currency="USD")
            except DomainError:
                pass  # frozen account or insufficient funds: refused, and nothing recorded

    _run_threads(worker)
    _assert_every_shard_is_one_unbroken_chain()
    assert AuditRecord.objects.values("shard").distinct().count() > 4  # the postings spread over the shards
    transfers = JournalEntry.objects.filter(entry_type=EntryType.TRANSFER).count()
    assert AuditRecord.objects.filter(action="ledger.transfer_posted").count() == transfers > THREADS


def test_transactions_writing_several_records_to_random_objects_never_deadlock(on_postgresql):
    """Each transaction writes 3 records whose objects hash to different shards. Locking each record's own shard
    would take heads in random order and deadlock; pinned to its first shard, a transaction locks one head."""

    def worker(index: int) -> None:
        rng = random.Random(index)
        for _ in range(15):
            with transaction.atomic(durable=True):
                for _ in range(3):
                    audit_record(action="test.multi", object_type="thing", object_id=str(rng.randrange(10**6)))

    _run_threads(worker)
    shards_per_transaction = Counter()
    for record in AuditRecord.objects.filter(action="test.multi").order_by("sequence"):
        shards_per_transaction[record.shard] += 1
    assert sum(shards_per_transaction.values()) == THREADS * 15 * 3
    assert all(count % 3 == 0 for count in shards_per_transaction.values())  # whole transactions per shard
    _assert_every_shard_is_one_unbroken_chain()


def _object_in_shard(shard: int, *, other_than: int | None = None) -> str:
    """An object id of type "thing" whose records go to ``shard`` (or to any shard but ``other_than``)."""
    for n in range(10_000):
        got = shard_of(object_type="thing", object_id=f"o{n}", shards=16)
        if (other_than is None and got == shard) or (other_than is not None and got != other_than):
            return f"o{n}"
    raise AssertionError("no such object")


def test_writers_of_different_shards_do_not_wait_for_each_other(on_postgresql, settings):
    settings.QENEX_AUDIT_CHAIN_SHARDS = 16
    held_object = _object_in_shard(3)
    held_shard = 3
    other_object = _object_in_shard(0, other_than=held_shard)
    audit_record(action="test.warm", object_type="thing", object_id=held_object)  # both head rows exist
    audit_record(action="test.warm", object_type="thing", object_id=other_object)

    written, release = threading.Event(), threading.Event()
    holder_pid: list[int] = []

    def holder() -> None:
        try:
            with transaction.atomic(durable=True):
                audit_record(action="test.held", object_type="thing", object_id=held_object)
                holder_pid.append(connection.connection.info.backend_pid)
                written.set()
                release.wait(30)  # the audit write is done and its shard head stays locked until commit
        finally:
            connections.close_all()

    same_shard_done = threading.Event()
    same_shard_pid: list[int] = []

    def same_shard_writer() -> None:
        try:
            connection.ensure_connection()
            same_shard_pid.append(connection.connection.info.backend_pid)
            with transaction.atomic(durable=True):
                audit_record(action="test.same_shard", object_type="thing", object_id=held_object)
            same_shard_done.set()
        finally:
            connections.close_all()

    hold = threading.Thread(target=holder)
    hold.start()
    try:
        assert written.wait(10)
        # Another shard's write commits while the holder's transaction is open ...
        with transaction.atomic(durable=True):
            other = audit_record(action="test.other_shard", object_type="thing", object_id=other_object)
        assert other.shard != held_shard
        assert AuditRecord.objects.filter(pk=other.pk).exists()  # committed
        # ... while a write to the held shard waits for the holder's commit, on the head row's lock.
        same = threading.Thread(target=same_shard_writer)
        same.start()
        assert not same_shard_done.wait(1.0)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wait_event_type, pg_blocking_pids(pid) FROM pg_stat_activity WHERE pid = %s",
                [same_shard_pid[0]],
            )
            wait_type, blockers = cursor.fetchone()
        assert (wait_type, blockers) == ("Lock", holder_pid)
    finally:
        release.set()
        hold.join(10)
    same.join(10)
    assert same_shard_done.is_set()
    held, after = (
        AuditRecord.objects.filter(action__in=["test.held", "test.same_shard"])
        .order_by("sequence")
        .values_list("action", "shard", "shard_sequence")
    )
    assert (held[0], after[0]) == ("test.held", "test.same_shard") and held[1] == after[1] == held_shard
    assert after[2] == held[2] + 1
    _assert_every_shard_is_one_unbroken_chain()

"""Many transactions append to the audit chain at once on PostgreSQL: no gaps, no forks."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connections

from apps.audit.models import AuditChainHead, AuditRecord
from apps.audit.verification import audit_chain_verify
from apps.core.errors import DomainError
from apps.ledger import services
from apps.ledger.models import EntryType, JournalEntry
from apps.ledger.services import account_change_status, account_open

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 8
OPS_PER_THREAD = 30


def test_concurrent_postings_keep_one_unbroken_chain(on_postgresql):
    accounts = [
        account_open(owner_id=f"c{i}", account_type="CHECKING", currency="USD", initial_balance="100.00")
        for i in range(4)
    ]
    ids = [a.public_id for a in accounts]
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        rng = random.Random(index)
        try:
            barrier.wait()
            for _ in range(OPS_PER_THREAD):
                src, dst = rng.sample(ids, 2)
                try:
                    if rng.random() < 0.1:
                        account_change_status(public_id=src, status=rng.choice(["ACTIVE", "FROZEN"]))
                    else:
                        services.post_transfer(from_account=src, to_account=dst, amount="1.00", currency="USD")
                except DomainError:
                    pass  # frozen account or insufficient funds: refused, and nothing recorded
        except BaseException as exc:  # noqa: BLE001 - asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [], errors

    report = audit_chain_verify(batch_size=50)
    assert report.ok, [str(p) for p in report.problems]
    head = AuditChainHead.objects.get()
    sequences = list(AuditRecord.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, head.sequence + 1))  # no gaps
    assert AuditRecord.objects.values("prev_hash").distinct().count() == head.sequence  # no forks
    transfers = JournalEntry.objects.filter(entry_type=EntryType.TRANSFER).count()
    assert AuditRecord.objects.filter(action="ledger.transfer_posted").count() == transfers > THREADS

"""An accepted ACH file settles its entries as ONE ledger batch (``hold_captures_batch_in_transaction``): every hold
captured to the settlement account and every fee posted by one batch posting with one audit record, the same
postings the one-by-one capture made. Replays post nothing; one refused capture refuses the batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.audit.models import AuditRecord
from apps.ledger.errors import HoldNotActive
from apps.ledger.invariants import ledger_violations
from apps.ledger.models import EntryType, Hold, HoldStatus, JournalEntry
from apps.ledger.selectors import balance_get
from apps.ledger.services import BatchCapture, hold_captures_batch_in_transaction, hold_place, hold_void
from apps.payments import services
from apps.payments.services import ach as ach_services
from apps.payments.states import PaymentStatus
from tests.factories import funded_account

from .payments import ach_body, request_from

pytestmark = pytest.mark.django_db
S = PaymentStatus


def test_an_accepted_file_settles_every_entry_in_one_batch_posting(settings):
    settings.QENEX_PAYMENTS_FEES = "ach=0.25"
    a, b = funded_account("1000.00"), funded_account("1000.00")
    payments = [
        services.payment_send(
            request=request_from(ach_body(acc.public_id, amount=amount)), debtor_account=acc.public_id
        ).payment
        for acc, amount in ((a, "100.00"), (b, "250.00"), (a, "0.01"))
    ]
    ach_file = ach_services.ach_file_create(now=datetime(2031, 2, 3, 15, 0, tzinfo=UTC))
    ack = {"reply_id": "ACH0000000001-1", "kind": "file_ack", "status": "ACCEPTED", "network_reference": "ACH01"}
    assert ach_services.ach_file_answer_record(file_id=ach_file.public_id, ack=ack) == "settled"

    [batch] = AuditRecord.objects.filter(
        action="ledger.batch_posted", after__reference=f"ach_file:{ach_file.public_id}"
    )
    posted = {row[0]: row[1] for row in batch.after["transactions"]}
    for payment in payments:
        payment.refresh_from_db()
        assert payment.status == S.SETTLED
        assert posted[payment.capture_transaction_id] == EntryType.HOLD_CAPTURE
        assert posted[payment.fee_transaction_id] == EntryType.FEE
        hold = Hold.objects.get(public_id=payment.hold_id)
        assert (hold.status, hold.captured_minor) == (HoldStatus.CAPTURED, payment.amount_minor)
        assert hold.capture_entry.public_id == payment.capture_transaction_id
    assert len(posted) == 6
    nostro = internal_account_find(account_type=AccountType.NOSTRO, currency="USD")
    assert balance_get(account=nostro).ledger_minor == 35001
    assert (balance_get(account=a).ledger_minor, balance_get(account=a).held_minor) == (100000 - 10001 - 50, 0)
    assert balance_get(account=b).ledger_minor == 100000 - 25000 - 25
    assert ledger_violations(with_audit=True) == {}
    # The same answer again changes nothing.
    assert ach_services.ach_file_answer_record(file_id=ach_file.public_id, ack=ack) == "duplicate"
    assert JournalEntry.objects.filter(metadata__hold__in=[p.hold_id for p in payments]).count() == 3


def _capture(hold_id: str, to_account: str, key: str) -> BatchCapture:
    return BatchCapture(hold_id=hold_id, to_account=to_account, amount_minor=1000, description="", idempotency_key=key)


def test_a_replayed_batch_posts_nothing_and_one_refused_capture_refuses_the_batch():
    payer, payee = funded_account("100.00"), funded_account("0.00")
    first = hold_place(account=payer.public_id, amount="10.00", currency="USD", idempotency_key="h-1").hold.public_id
    second = hold_place(account=payer.public_id, amount="10.00", currency="USD", idempotency_key="h-2").hold.public_id
    with transaction.atomic(durable=True):
        [posted] = hold_captures_batch_in_transaction(captures=[_capture(first, payee.public_id, "c-1")], reference="t")
    with transaction.atomic(durable=True):
        [again] = hold_captures_batch_in_transaction(captures=[_capture(first, payee.public_id, "c-1")], reference="t")
    assert (again.transaction, again.replayed, posted.replayed) == (posted.transaction, True, False)
    assert balance_get(account=payee).ledger_minor == 1000

    hold_void(hold_id=second)
    third = hold_place(account=payer.public_id, amount="10.00", currency="USD", idempotency_key="h-3").hold.public_id
    with pytest.raises(HoldNotActive), transaction.atomic(durable=True):
        hold_captures_batch_in_transaction(
            captures=[_capture(third, payee.public_id, "c-3"), _capture(second, payee.public_id, "c-2")],
            reference="t",
        )
    assert Hold.objects.get(public_id=third).status == HoldStatus.AUTHORIZED  # nothing of the batch was written
    assert balance_get(account=payee).ledger_minor == 1000
    assert ledger_violations(with_audit=True) == {}

"""ACH in files: the cut-off writes the queued ACH payments into one NACHA file, the sandbox operator answers
about the file, and its acceptance settles every entry (one transaction) or its rejection voids every hold.
Same-day ACH: before the cut-off and within the Nacha limit the entry settles today."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.ledger.models import Hold, HoldStatus, JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments import routing, services
from apps.payments.errors import InvalidMessageField
from apps.payments.formats import nacha
from apps.payments.models import AchFile, AchFileStatus, Direction, PaymentOrder
from apps.payments.services import ach as ach_services
from apps.payments.states import FINAL, PaymentStatus
from tests.factories import funded_account

from .payments import ach_body, request_from

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # a sandbox subprocess for the module
S = PaymentStatus


@pytest.fixture
def network(link, settings):
    settings.QENEX_PAYMENTS_NETWORK_URLS = f"*={link.url}"
    settings.QENEX_PAYMENTS_HTTP_TIMEOUT = 5.0
    settings.QENEX_PAYMENTS_ACH_CUTOFFS = "*"
    return link


_minutes = itertools.count()


def unique_now() -> datetime:
    """A creation time no other test used: the operator (the session's sandbox) de-duplicates on the file id,
    which is the creation minute and a modifier, and every test's database starts with no files."""
    return datetime(2031, 1, 6, 14, 0, tzinfo=UTC) + timedelta(minutes=next(_minutes))


def send(account, **overrides) -> PaymentOrder:
    body = ach_body(account.public_id, **overrides)
    return services.payment_send(request=request_from(body), debtor_account=account.public_id).payment


def file_answered(ach_file: AchFile, timeout: float = 10.0) -> AchFile:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.acks_poll(rail="ach")
        ach_file.refresh_from_db()
        if ach_file.status in (AchFileStatus.ACCEPTED, AchFileStatus.REJECTED):
            return ach_file
        time.sleep(0.1)
    return ach_file


def nostro_usd() -> int:
    account = internal_account_find(account_type=AccountType.NOSTRO, currency="USD")
    return balance_get(account=account).ledger_minor if account else 0


def test_a_cutoff_sends_one_file_whose_acceptance_settles_every_entry(network):
    a, b = funded_account("1000.00"), funded_account("1000.00")
    payments = [send(a, amount="100.00"), send(b, amount="250.00"), send(a, amount="0.01", remittance_info="INV 7")]
    assert {p.status for p in payments} == {S.QUEUED}
    nostro_before = nostro_usd()
    assert services.ach_cutoff_tick(now=unique_now()) == {"created": 1, "sent": 1}
    ach_file = AchFile.objects.get()
    assert (ach_file.status, ach_file.entry_count, ach_file.total_credit_minor) == (AchFileStatus.SUBMITTED, 3, 35001)
    parsed = nacha.parse(ach_file.body)
    entries = [entry for batch in parsed.batches for entry in batch.entries]
    assert sorted(e.amount for e in entries) == [1, 10000, 25000]
    for payment in payments:
        payment.refresh_from_db()
        assert payment.status == S.SUBMITTED and payment.ach_file_id == ach_file.pk
        assert payment.trace_number in {e.trace_number for e in entries}
        batch = next(b for b in parsed.batches if any(e.trace_number == payment.trace_number for e in b.entries))
        assert batch.header.effective_entry_date == payment.value_date
        assert payment.trace_number in payment.messages.get(direction=Direction.OUT).body
    assert next(e for e in entries if e.amount == 1).addenda[0].payment_related_information == "INV 7"

    assert file_answered(ach_file).status == AchFileStatus.ACCEPTED
    for payment in payments:
        payment.refresh_from_db()
        assert payment.status == S.SETTLED
        assert Hold.objects.get(public_id=payment.hold_id).status == HoldStatus.CAPTURED
    assert nostro_usd() - nostro_before == 35001
    assert balance_get(account=a).ledger_minor == 100000 - 10001
    assert balance_get(account=b).ledger_minor == 100000 - 25000
    # a repeated feed read records nothing twice
    services.acks_poll(rail="ach")
    assert JournalEntry.objects.filter(metadata__hold__in=[p.hold_id for p in payments]).count() == 3
    assert services.ach_cutoff_tick(now=unique_now()) == {"created": 0, "sent": 0}


def test_a_rejected_file_voids_every_hold_and_a_cancelled_payment_stays_out(network):
    a = funded_account("1000.00")
    kept, cancelled = send(a, amount="10.00"), send(a, amount="20.00")
    services.payment_cancel(payment_id=cancelled.public_id, actor="operator")
    network.force_next("reject:BADFILE")
    ach_file = ach_services.ach_file_create(now=unique_now())
    assert ach_file.entry_count == 1
    assert ach_services.ach_file_submit(file_id=ach_file.public_id) == AchFileStatus.SUBMITTED
    assert file_answered(ach_file).status == AchFileStatus.REJECTED
    kept.refresh_from_db()
    assert (kept.status, kept.reason_code) == (S.REJECTED, "BADFILE")
    assert Hold.objects.get(public_id=kept.hold_id).status == HoldStatus.VOIDED
    assert balance_get(account=a).available_minor == 100000


def test_a_lost_receipt_resends_the_same_file_and_the_operator_settles_it_once(network, gateway_sandbox, settings):
    settings.QENEX_PAYMENTS_HTTP_TIMEOUT = 1.0
    settings.QENEX_PAYMENTS_RETRY_SECONDS = 0.0
    a = funded_account("1000.00")
    payment = send(a, amount="40.00")
    network.force_next("accept,stall")
    ach_file = ach_services.ach_file_create(now=unique_now())
    assert ach_services.ach_file_submit(file_id=ach_file.public_id) == AchFileStatus.BUILT  # no receipt: resend later
    payment.refresh_from_db()
    assert payment.status == S.SUBMITTING
    services.ach_cutoff_tick(now=timezone.now())  # the resend: same bytes, same file id
    ach_file.refresh_from_db()
    assert ach_file.attempts == 2
    seen = gateway_sandbox.get(f"/_sandbox/seen?id={ach_file.network_key}")[1]["submissions"]
    assert [s["duplicate"] for s in seen] == [False, True]
    assert file_answered(ach_file).status == AchFileStatus.ACCEPTED
    payment.refresh_from_db()
    assert payment.status == S.SETTLED
    assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1
    assert balance_get(account=a).ledger_minor == 100000 - 4000


def test_every_attempt_without_receipt_fails_the_file_and_a_retried_entry_goes_in_the_next_file(settings):
    settings.QENEX_PAYMENTS_NETWORK_URLS = "ach=http://127.0.0.1:9"  # nothing listens on the discard port
    settings.QENEX_PAYMENTS_SUBMIT_ATTEMPTS = 1
    a = funded_account("1000.00")
    payment = send(a, amount="5.00")
    first = ach_services.ach_file_create(now=unique_now())
    assert ach_services.ach_file_submit(file_id=first.public_id) == AchFileStatus.FAILED
    payment.refresh_from_db()
    assert (payment.status, payment.reason_code) == (S.FAILED, "no_receipt")
    assert balance_get(account=a).held_minor == 500  # a dead letter keeps its hold
    services.payment_retry_failed(payment_id=payment.public_id, actor="operator")
    second = ach_services.ach_file_create(now=datetime(2030, 1, 2, 15, 0, tzinfo=UTC))
    payment.refresh_from_db()
    assert second.pk != first.pk and payment.ach_file_id == second.pk
    assert payment.trace_number in second.body  # the same trace number: the operator knows the entry


def test_no_payment_goes_in_two_files():
    a = funded_account("1000.00")
    for _ in range(3):
        send(a, amount="1.00")
    first = ach_services.ach_file_create(now=unique_now())
    assert first.entry_count == 3
    assert ach_services.ach_file_create(now=unique_now()) is None
    assert PaymentOrder.objects.filter(ach_file=first).aggregate(t=Sum("amount_minor"))["t"] == 300


def test_a_name_nacha_cannot_carry_is_refused_before_anything_is_held():
    a = funded_account("1000.00")
    body = ach_body(a.public_id)
    body["receiver"]["name"] = "A receiver name longer than twenty-two"
    with pytest.raises(InvalidMessageField) as refused:
        services.payment_send(request=request_from(body), debtor_account=a.public_id)
    assert refused.value.field == "receiver.name"
    assert balance_get(account=a).held_minor == 0 and not PaymentOrder.objects.exists()


@pytest.mark.parametrize(
    ("amount_minor", "earliest", "same_day_on", "expected", "same_day"),
    [
        (100_00, date(2026, 12, 2), True, date(2026, 12, 2), True),  # Wednesday, before the cut-off
        (100_000_000, date(2026, 12, 2), True, date(2026, 12, 2), True),  # exactly the limit
        (100_000_001, date(2026, 12, 2), True, date(2026, 12, 3), False),  # above: next banking day
        (100_00, date(2026, 12, 2), False, date(2026, 12, 3), False),  # same-day ACH switched off
        (100_00, date(2026, 12, 3), True, date(2026, 12, 3), False),  # after the cut-off: tomorrow
        (100_00, date(2026, 12, 24), False, date(2026, 12, 24), False),  # a later date asked for stays
    ],
)
def test_same_day_ach_before_the_cutoff_and_within_the_limit(
    settings, amount_minor, earliest, same_day_on, expected, same_day
):
    settings.QENEX_PAYMENTS_ACH_SAME_DAY = same_day_on
    now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
    plan = routing.ach_schedule(amount_minor, earliest, now)
    assert (plan.value_date, plan.same_day) == (expected, same_day)


def test_same_day_ach_friday_afternoon_limit_rolls_to_monday(settings):
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # a Friday
    assert routing.ach_schedule(100_000_001, date(2026, 12, 4), now).value_date == date(2026, 12, 7)


def test_a_same_day_fee_applies_to_same_day_entries(settings):
    settings.QENEX_PAYMENTS_FEES = "ach=0.25,ach.same_day=1.00"
    a = funded_account("1000.00")
    payment = send(a, amount="10.00")
    expected = 100 if "same-day ACH: before" in payment.routing_reasons[-1] else 25
    assert payment.fee_minor == expected


def test_cutoffs_are_due_once_per_cutoff(settings):
    settings.QENEX_PAYMENTS_ACH_CUTOFFS = "10:15,14:30"
    morning = datetime(2030, 1, 2, 14, 0, tzinfo=UTC)  # 09:00 New York: before the first cut-off
    assert not ach_services._cutoff_due(morning)
    after_first = datetime(2030, 1, 2, 15, 20, tzinfo=UTC)  # 10:20
    assert ach_services._cutoff_due(after_first)
    a = funded_account("1000.00")
    send(a, amount="1.00")
    ach_services.ach_file_create(now=after_first)
    assert not ach_services._cutoff_due(datetime(2030, 1, 2, 16, 0, tzinfo=UTC))  # 11:00: this cut-off had its file
    assert ach_services._cutoff_due(datetime(2030, 1, 2, 19, 31, tzinfo=UTC))  # 14:31: the next one


def test_payments_still_waiting_are_not_final():
    assert S.QUEUED not in FINAL

"""Payment orders through the services: validation, routing with reasons, checks, the hold, history, cancel."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.audit.models import AuditRecord
from apps.ledger.errors import InsufficientFunds
from apps.ledger.models import Hold, HoldStatus
from apps.ledger.selectors import balance_get
from apps.ledger.services import account_change_status
from apps.payments import checks, services
from apps.payments.errors import InvalidPaymentTransition
from apps.payments.models import PaymentEvent, PaymentOrder
from apps.payments.services.history import Changes
from apps.payments.states import FINAL, TRANSITIONS, PaymentStatus
from tests.factories import funded_account

from .payments import CREDITOR_IBAN, ach_body, request_from, sct_body, seed_body

pytestmark = pytest.mark.django_db
S = PaymentStatus


def send(body, account, key=None):
    return services.payment_send(request=request_from(body), debtor_account=account.public_id, idempotency_key=key)


def history(payment) -> list[str]:
    return list(PaymentEvent.objects.filter(payment=payment).values_list("to_status", flat=True))


def test_the_transition_table_names_every_status_and_ends_in_settled_rejected_cancelled():
    assert set(TRANSITIONS) == set(PaymentStatus)
    assert all(target in TRANSITIONS for targets in TRANSITIONS.values() for target in targets)
    assert FINAL == {S.SETTLED, S.REJECTED, S.CANCELLED, S.RETURNED}  # SETTLED moves on only by a return
    assert TRANSITIONS[S.SETTLED] == {S.RETURNED}


def test_a_transition_outside_the_table_is_refused():
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    with pytest.raises(InvalidPaymentTransition):
        Changes(payment, "test").move(S.SETTLED)


def test_sct_is_validated_checked_funded_and_queued_with_an_audited_history():
    account = funded_account("500.00", "EUR")
    audits = AuditRecord.objects.count()
    payment = send(sct_body(account.public_id), account).payment
    assert payment.rail == "sepa" and payment.status == S.QUEUED
    assert payment.routing_reasons[0] == "EUR to an IBAN in the SEPA zone (FR)"
    assert history(payment) == [S.RECEIVED, S.VALIDATED, S.CHECKED, S.FUNDS_RESERVED, S.QUEUED]
    hold = Hold.objects.get(public_id=payment.hold_id)
    assert (hold.amount_minor, hold.status) == (15000, HoldStatus.AUTHORIZED)
    assert balance_get(account=account).available_minor == 50000 - 15000
    # the hold's record, then one record for the payment listing its five transitions
    assert AuditRecord.objects.count() == audits + 2
    record = AuditRecord.objects.order_by("-sequence").first()
    assert record.action == "payments.payment_sent"
    assert [step["to"] for step in record.after["transitions"]] == history(payment)


def test_counterparty_names_and_ibans_are_encrypted_at_rest():
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT creditor_name, creditor_identifier, debtor_identifier FROM payments_paymentorder WHERE id = %s",
            [payment.pk],
        )
        stored = " ".join(cursor.fetchone())
    assert "Pierre" not in stored and "FR14" not in stored and "DE89" not in stored
    assert PaymentOrder.objects.get(pk=payment.pk).creditor_name == "Pierre Dupont"


@pytest.mark.parametrize(
    ("maker", "overrides", "rail", "message_format"),
    [
        (sct_body, {"speed": "instant"}, "sepa_inst", "pacs.008"),
        (ach_body, {}, "ach", "NACHA"),
        (ach_body, {"speed": "urgent"}, "fedwire", "FAIM"),
        (ach_body, {"amount": "1000000.01"}, "fedwire", "FAIM"),
        (seed_body, {}, "swift", "MT103"),
    ],
)
def test_routing_picks_the_rail_and_says_why(maker, overrides, rail, message_format, settings):
    settings.QENEX_MAX_POSTING_AMOUNT = "*=100000000000"
    currency = "EUR" if maker is sct_body else "USD"
    account = funded_account("2000000.00", currency)
    payment = send(maker(account.public_id, **overrides), account).payment
    assert (payment.rail, payment.message_format) == (rail, message_format)
    assert payment.routing_reasons and all(isinstance(r, str) for r in payment.routing_reasons)


def test_swift_format_is_configurable_to_cbpr_plus(settings):
    settings.QENEX_PAYMENTS_SWIFT_FORMAT = "pacs008"
    account = funded_account("60000.00", "USD")
    payment = send(seed_body(account.public_id), account).payment
    assert (payment.rail, payment.message_format) == ("swift", "pacs.008")


def _frozen(account):
    account_change_status(public_id=account.public_id, status="FROZEN")
    return account


@pytest.mark.parametrize(
    ("maker", "change", "code", "field"),
    [
        (sct_body, lambda b: b["receiver"].update(iban="FR1420041010050500013M02607"), "invalid_iban", "receiver.iban"),
        (sct_body, lambda b: b["receiver"].update(bic="BNPAXXPP"), "invalid_bic", "receiver.bic"),
        (ach_body, lambda b: b["receiver"].update(aba="021000022"), "invalid_routing_number", "receiver.aba"),
        (sct_body, lambda b: b.update(amount="1.001"), "too_many_decimals", "amount"),
        (sct_body, lambda b: b.update(amount="0"), "invalid_amount", "amount"),
        (sct_body, lambda b: b.update(currency="XYZ"), "unknown_currency", "currency"),
        (sct_body, lambda b: b.update(amount="100000.01", speed="instant"), "scheme_limit_exceeded", "amount"),
        (sct_body, lambda b: b.update(amount="5000.00"), "insufficient_funds", "amount"),
        (sct_body, lambda b: b["sender"].pop("iban"), "missing_field", "sender.iban"),
        (seed_body, lambda b: b["receiver"].update(name="Jane \u4e2d"), "invalid_message_field", "receiver.name"),
        (seed_body, lambda b: b["receiver"].pop("bic"), "missing_field", "receiver.bic"),
        (ach_body, lambda b: b.update(speed="urgent", reference="R" * 20), "invalid_message_field", "reference"),
        (
            ach_body,
            lambda b: b.update(speed="urgent", receiver={**b["receiver"], "name": "N" * 40}),
            "invalid_message_field",
            "receiver.name",
        ),
        (
            ach_body,
            lambda b: b.update(currency="EUR", receiver={**b["receiver"], "iban": CREDITOR_IBAN}),
            "currency_mismatch",
            "currency",
        ),
    ],
)
def test_bad_input_is_refused_with_its_code_and_nothing_is_held(maker, change, code, field):
    currency = "EUR" if maker is sct_body else "USD"
    account = funded_account("60000.00" if maker is seed_body else "500.00", currency)
    body = maker(account.public_id)
    change(body)
    holds, payments = Hold.objects.count(), PaymentOrder.objects.count()
    with pytest.raises(Exception) as refused:
        send(body, account)
    assert (getattr(refused.value, "code", None), getattr(refused.value, "field", None)) == (code, field)
    assert (Hold.objects.count(), PaymentOrder.objects.count()) == (holds, payments)


def test_a_frozen_sender_account_is_refused():
    account = _frozen(funded_account("500.00", "EUR"))
    with pytest.raises(Exception) as refused:
        send(sct_body(account.public_id), account)
    assert refused.value.code == "account_not_active"


@pytest.fixture
def registered_check():
    names = []

    def register(name, check):
        checks.register(name, check)
        names.append(name)

    yield register
    for name in names:
        checks.unregister(name)


def test_a_check_that_holds_parks_the_payment_with_its_funds_reserved_until_an_officer_releases_it(registered_check):
    registered_check("test.review-large", lambda p: checks.CheckResult.hold("large", "large_amount"))
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    assert payment.status == S.HELD and payment.hold_id and payment.reason_code == "large_amount"
    assert balance_get(account=account).held_minor == 15000  # reserved while an officer decides
    released = services.payment_release(payment_id=payment.public_id, actor="officer")
    assert released.status == S.QUEUED and released.hold_id == payment.hold_id  # the same hold goes on
    assert balance_get(account=account).held_minor == 15000
    assert history(payment) == [S.RECEIVED, S.VALIDATED, S.HELD, S.CHECKED, S.FUNDS_RESERVED, S.QUEUED]


def test_a_held_payment_rejected_or_cancelled_releases_its_reserved_funds(registered_check):
    registered_check("test.review", lambda p: checks.CheckResult.hold("review", "sanctions_hit"))
    account = funded_account("500.00", "EUR")
    rejected = send(sct_body(account.public_id), account).payment
    cancelled = send(sct_body(account.public_id, amount="20.00"), account).payment
    assert balance_get(account=account).held_minor == 17000
    rejected = services.payment_reject_held(payment_id=rejected.public_id, actor="officer", reason="true match")
    assert rejected.status == S.REJECTED and Hold.objects.get(public_id=rejected.hold_id).status == HoldStatus.VOIDED
    cancelled = services.payment_cancel(payment_id=cancelled.public_id, actor="customer")
    assert cancelled.status == S.CANCELLED and Hold.objects.get(public_id=cancelled.hold_id).status == HoldStatus.VOIDED
    assert balance_get(account=account).held_minor == 0


def test_a_payment_a_check_would_hold_without_the_funds_is_refused_and_leaves_nothing(registered_check):
    registered_check("test.review", lambda p: checks.CheckResult.hold("review", "sanctions_hit"))
    account = funded_account("100.00", "EUR")
    with pytest.raises(InsufficientFunds):
        send(sct_body(account.public_id), account)  # 150.00 of 100.00
    assert not PaymentOrder.objects.filter(debtor_account=account).exists()
    assert balance_get(account=account).held_minor == 0


def test_a_check_that_rejects_ends_the_payment_with_its_reason_and_no_hold(registered_check):
    registered_check("test.pass", lambda p: checks.CheckResult.passed())
    registered_check("test.sanctions", lambda p: checks.CheckResult.reject("listed creditor", "sanctioned"))
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    assert (payment.status, payment.reason_code) == (S.REJECTED, "sanctioned")
    assert "test.sanctions: listed creditor" in payment.reason
    assert balance_get(account=account).held_minor == 0


def test_cancel_before_submission_voids_the_hold():
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    cancelled = services.payment_cancel(payment_id=payment.public_id, actor="customer")
    assert cancelled.status == S.CANCELLED
    assert Hold.objects.get(public_id=payment.hold_id).status == HoldStatus.VOIDED
    assert balance_get(account=account).available_minor == 50000


def test_cancel_after_a_submission_attempt_is_refused():
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    PaymentOrder.objects.filter(pk=payment.pk).update(attempts=1)
    with pytest.raises(Exception) as refused:
        services.payment_cancel(payment_id=payment.public_id, actor="customer")
    assert refused.value.code == "payment_not_cancellable"


def test_a_retry_with_the_same_key_replays_and_another_body_is_a_conflict():
    account = funded_account("500.00", "EUR")
    body = sct_body(account.public_id)
    first = send(body, account, key="k1")
    again = send(body, account, key="k1")
    assert again.replayed and again.payment.pk == first.payment.pk
    assert Hold.objects.filter(account=account).count() == 1
    with pytest.raises(Exception) as refused:
        send({**body, "amount": "151.00"}, account, key="k1")
    assert refused.value.code == "idempotency_key_reused"


def test_a_payment_a_lost_worker_left_in_submitting_is_queued_again(settings):
    settings.QENEX_PAYMENTS_NETWORK_URLS = "*=http://127.0.0.1:9"
    from datetime import timedelta

    from django.utils import timezone

    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    long_ago = timezone.now() - timedelta(hours=1)
    PaymentOrder.objects.filter(pk=payment.pk).update(status=S.SUBMITTING, attempts=1, updated_at=long_ago)
    assert services.payments_requeue_stale() == 1
    payment.refresh_from_db()
    assert payment.status == S.QUEUED
    assert payment.events.last().reason_code == "stale"


@pytest.mark.usefixtures("on_postgresql")
def test_the_database_refuses_to_rewrite_a_payments_history():
    from django.db import DatabaseError, transaction

    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    for statement in ("UPDATE payments_paymentevent SET to_status = 'SETTLED'", "DELETE FROM payments_paymentevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement + " WHERE payment_id = %s", [payment.pk])
    assert history(payment)[-1] == S.QUEUED


def test_register_account_alias_lets_the_seeds_sender_account_name_a_qenex_account():
    from django.core.management import CommandError, call_command

    account = funded_account("500.00", "USD")
    call_command("register_account_alias", "123456789", account.public_id)
    from apps.payments.selectors import account_alias_resolve

    assert account_alias_resolve(identifier="123456789") == account.public_id
    with pytest.raises(CommandError, match="already names"):
        call_command("register_account_alias", "123456789", account.public_id)


def test_transitions_are_counted_after_commit(django_capture_on_commit_callbacks):
    from apps.payments.metrics import PAYMENT_TRANSITIONS_TOTAL

    queued = PAYMENT_TRANSITIONS_TOTAL.labels("sepa", S.QUEUED)
    before = queued._value.get()
    account = funded_account("500.00", "EUR")
    with django_capture_on_commit_callbacks(execute=True):
        send(sct_body(account.public_id), account)
    assert queued._value.get() == before + 1


def _answer(payment, status: str, number: int, reason=None) -> dict:
    """An answer as the network's feed gives it (see apps.payments.sandbox), for the payment's message id."""
    return {
        "reply_id": f"TEST-{payment.public_id}-{number}",
        "network_reference": "SCT0000000001",
        "message_id": payment.network_key,
        "kind": "status",
        "status": status,
        "reason": reason,
        "message_type": "pacs.002.001.10",
        "body": "<Document/>",
    }


def test_the_fee_is_held_with_the_payment_and_posted_when_it_settles(settings):
    from apps.ledger.models import EntryType, JournalEntry

    settings.QENEX_PAYMENTS_FEES = "sepa=0.20,sepa.instant=0.50,swift=15.00"
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    assert payment.fee_minor == 20 and balance_get(account=account).held_minor == 15020
    PaymentOrder.objects.filter(pk=payment.pk).update(status=S.SUBMITTED, attempts=1, network_key=str(payment.uetr))
    payment.refresh_from_db()
    assert services.ack_record(rail="sepa", ack=_answer(payment, "ACSC", 1)) == "settled"
    payment.refresh_from_db()
    fee = JournalEntry.objects.get(public_id=payment.fee_transaction_id)
    assert (fee.entry_type, fee.amount_minor) == (EntryType.FEE, 20)
    balance = balance_get(account=account)
    assert (balance.ledger_minor, balance.held_minor) == (50000 - 15000 - 20, 0)
    assert services.ack_record(rail="sepa", ack=_answer(payment, "ACSC", 1)) == "duplicate"


def test_a_rejected_payment_costs_no_fee(settings):
    settings.QENEX_PAYMENTS_FEES = "sepa=0.20"
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment
    PaymentOrder.objects.filter(pk=payment.pk).update(status=S.SUBMITTED, attempts=1, network_key=str(payment.uetr))
    payment.refresh_from_db()
    assert services.ack_record(rail="sepa", ack=_answer(payment, "RJCT", 1, "AC04")) == "rejected"
    balance = balance_get(account=account)
    assert (balance.ledger_minor, balance.held_minor) == (50000, 0)


def test_a_sender_named_by_a_registered_iban_pays_by_sepa_from_that_iban():
    account = funded_account("500.00", "EUR")
    services.account_alias_register(identifier="DE89370400440532013000", account_id=account.public_id)
    body = sct_body("DE89370400440532013000")
    body["sender"].pop("iban")
    payment = send(body, account).payment
    assert (payment.rail, payment.debtor_identifier) == ("sepa", "DE89370400440532013000")


def test_releasing_a_held_payment_above_the_threshold_takes_two_officers(registered_check, settings):
    from apps.approvals.errors import ApprovalRequired, SelfApprovalRefused
    from apps.approvals.models import ApprovalKind, ApprovalStatus
    from apps.approvals.services import approval_approve, approval_request
    from tests.staff import make_staff

    settings.QENEX_APPROVAL_THRESHOLD = "100"
    registered_check("test.review", lambda p: checks.CheckResult.hold("review", "sanctions_hit"))
    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment  # 150.00 EUR: above the threshold
    with pytest.raises(ApprovalRequired):
        services.payment_release(payment_id=payment.public_id, actor="alice")
    payment.refresh_from_db()
    assert payment.status == S.HELD and balance_get(account=account).held_minor == 15000  # reserved, not released
    alice, bob = make_staff("alice", "compliance_officer"), make_staff("bob", "compliance_officer")
    approval = approval_request(kind=ApprovalKind.PAYMENT_RELEASE, payload={"payment": payment.public_id}, maker=alice)
    with pytest.raises(SelfApprovalRefused):
        approval_approve(public_id=approval.public_id, checker=alice)
    approval_approve(public_id=approval.public_id, checker=bob)  # executes the release once approved
    approval.refresh_from_db()
    assert (approval.status, approval.result_ref) == (ApprovalStatus.EXECUTED, payment.public_id)
    payment.refresh_from_db()
    assert payment.status == S.QUEUED and balance_get(account=account).held_minor == 15000
    released = payment.events.get(to_status=S.CHECKED)
    assert approval.public_id in released.reason


def test_below_the_threshold_one_officer_releases_and_only_held_payments_can_be_proposed(registered_check):
    from apps.approvals.models import ApprovalKind
    from apps.approvals.services import approval_request
    from apps.core.errors import InvalidInput
    from tests.staff import make_staff

    account = funded_account("500.00", "EUR")
    payment = send(sct_body(account.public_id), account).payment  # no check: queued at once
    with pytest.raises(InvalidInput):
        approval_request(
            kind=ApprovalKind.PAYMENT_RELEASE,
            payload={"payment": payment.public_id},
            maker=make_staff("carol", "operations"),
        )

"""Our payments that come back: a return after settlement reverses the capture, a NOC corrects the counterparty."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from apps.core.errors import DomainError
from apps.inbound import services
from apps.inbound.models import PaymentNotice
from apps.ledger.models import EntryType, JournalEntry
from apps.ledger.selectors import balance_get
from apps.ledger.services import post_reversal_in_transaction
from apps.payments import services as payment_services
from apps.payments.formats.iso20022 import Pacs004, StatusReason
from apps.payments.formats.iso20022.pacs004 import ReturnedTransaction, build_pacs004
from apps.payments.formats.nacha import make_trace_number, notification_of_change_for, return_entry_for
from apps.payments.models import PaymentEvent, PaymentOrder
from apps.payments.states import PaymentStatus
from tests.factories import funded_account
from tests.payments.gateway.payments import ach_body, request_from, sct_body

from .messages import SENDER_ODFI, ach_answer_file, outbound_ach_entry

pytestmark = pytest.mark.django_db
S = PaymentStatus


def settled(body, account, *, rail: str, network_key=None) -> PaymentOrder:
    """Send ``body`` and settle it through the payments' own answer handling (as the sandbox's answer would)."""
    payment = payment_services.payment_send(request=request_from(body), debtor_account=account.public_id).payment
    key = network_key(payment) if callable(network_key) else network_key or str(payment.uetr)
    PaymentOrder.objects.filter(pk=payment.pk).update(status=S.SUBMITTED, attempts=1, network_key=key)
    status = "ACCEPTED" if rail == "ach" else "ACSC"
    ack = {
        "reply_id": f"T-{payment.public_id}",
        "message_id": key,
        "kind": "status",
        "status": status,
        "message_type": "test",
        "body": "",
    }
    assert payment_services.ack_record(rail=rail, ack=ack) == "settled"
    payment.refresh_from_db()
    assert payment.status == S.SETTLED
    return payment


def test_ach_r01_return_after_settlement_reverses_the_posting():
    account = funded_account("1000.00", "USD")
    trace = make_trace_number("12100024", 4711)
    payment = settled(ach_body(account.public_id), account, rail="ach", network_key=trace)
    assert balance_get(account=account).ledger_minor == 100000 - 25000
    returned = return_entry_for(
        outbound_ach_entry(payment, trace),
        return_reason_code="R01",
        returning_dfi_identification=SENDER_ODFI,
        sequence=1,
    )
    raw = ach_answer_file(returned)
    (item,) = services.message_receive(raw=raw, source="command").items
    assert item.outcome == "applied"
    payment.refresh_from_db()
    assert payment.status == S.RETURNED and payment.reason_code == "R01"
    assert "Insufficient funds" in payment.reason
    reversal = JournalEntry.objects.get(public_id=payment.return_transaction_id)
    assert reversal.entry_type == EntryType.REVERSAL and reversal.reverses.public_id == payment.capture_transaction_id
    assert balance_get(account=account).ledger_minor == 100000
    assert PaymentEvent.objects.filter(payment=payment, to_status=S.RETURNED, reason_code="R01").exists()
    # The same return file again: recorded once, reversed once.
    (again,) = services.message_receive(raw=raw).items
    assert again.outcome == "duplicate"
    assert (
        JournalEntry.objects.filter(
            entry_type=EntryType.REVERSAL, reverses__public_id=payment.capture_transaction_id
        ).count()
        == 1
    )


def test_an_ach_return_found_by_the_entry_identification_number():
    account = funded_account("1000.00", "USD")
    payment = settled(ach_body(account.public_id), account, rail="ach", network_key="ACHFILE-1")
    returned = return_entry_for(
        outbound_ach_entry(payment, make_trace_number("12100024", 9)),
        return_reason_code="R03",
        returning_dfi_identification=SENDER_ODFI,
        sequence=2,
    )
    services.message_receive(raw=ach_answer_file(returned))
    payment.refresh_from_db()
    assert (payment.status, payment.reason_code) == (S.RETURNED, "R03")


def test_a_noc_updates_the_stored_counterparty():
    account = funded_account("1000.00", "USD")
    trace = make_trace_number("12100024", 4712)
    payment = settled(ach_body(account.public_id), account, rail="ach", network_key=trace)
    original = outbound_ach_entry(payment, trace)
    noc = notification_of_change_for(
        original,
        change_code="C03",
        corrected_data="011000015   55512345678",
        returning_dfi_identification=SENDER_ODFI,
        sequence=3,
    )
    (item,) = services.message_receive(raw=ach_answer_file(noc)).items
    assert item.outcome == "applied"
    payment.refresh_from_db()
    assert payment.status == S.SETTLED  # a NOC moves no money
    assert (payment.creditor_aba, payment.creditor_identifier) == ("011000015", "55512345678")
    assert payment.messages.filter(kind="noc", reason="C03").count() == 1


def test_a_pacs004_returns_a_settled_sepa_payment():
    account = funded_account("500.00", "EUR")
    payment = settled(sct_body(account.public_id), account, rail="sepa")
    message = Pacs004(
        message_id="RTR-1",
        created=datetime.now(UTC).replace(microsecond=0),
        transactions=(
            ReturnedTransaction(
                return_id="RTR-1-1",
                returned_amount=Decimal("150.00"),
                returned_currency="EUR",
                original_message_id=payment.public_id.replace("_", "-"),
                original_end_to_end_id=payment.reference,
                original_uetr=str(payment.uetr),
                reasons=(StatusReason(code="AC04"),),
            ),
        ),
    )
    (item,) = services.message_receive(raw=build_pacs004(message), rail="sepa").items
    assert item.outcome == "applied"
    payment.refresh_from_db()
    assert (payment.status, payment.reason_code) == (S.RETURNED, "AC04")
    assert balance_get(account=account).ledger_minor == 50000


def test_a_return_that_matches_nothing_is_kept_for_an_operator():
    returned = return_entry_for(
        outbound_ach_entry(
            PaymentOrder(
                creditor_aba="021000021", creditor_identifier="1", amount_minor=5, creditor_name="X", reference="NOPE"
            ),
            make_trace_number("12100024", 1),
        ),
        return_reason_code="R02",
        returning_dfi_identification=SENDER_ODFI,
        sequence=4,
    )
    (item,) = services.message_receive(raw=ach_answer_file(returned)).items
    assert item.outcome == "unmatched"
    assert PaymentNotice.objects.get(public_id=item.notice.public_id).status == "UNMATCHED"


def test_an_mt910_retn_from_the_correspondent_returns_a_settled_mt103():
    from apps.payments import outbound
    from apps.payments.sandbox.config import SandboxConfig
    from apps.payments.sandbox.network import Network
    from apps.payments.sandbox.outcomes import parse_outcome_header
    from tests.payments.gateway.payments import seed_body

    account = funded_account("60000.00", "USD")
    payment = settled(
        seed_body(account.public_id), account, rail="swift", network_key=lambda p: outbound.build(p).network_key
    )
    clock = [1_780_000_000.0]
    network = Network(SandboxConfig(delay_seconds=0.1), clock=lambda: clock[0])
    network.submit("swift", outbound.build(payment).body, parse_outcome_header("return:AC04"))
    clock[0] += 5
    (delivered,) = network.inbound("swift", 0, 10)["messages"]
    assert delivered["message_type"] == "MT910"
    (item,) = services.message_receive(raw=delivered["body"].encode(), rail="swift").items
    assert item.outcome == "applied"
    payment.refresh_from_db()
    assert (payment.status, payment.reason_code) == (S.RETURNED, "AC04")


def test_a_fedwire_reversal_quoting_the_imad_returns_the_payment():
    from datetime import date

    from apps.payments.formats.fedwire import FedwireMessage, FedwireParty, Imad, build_fedwire_message

    account = funded_account("5000000.00", "USD")
    body = ach_body(account.public_id, speed="urgent")
    imad = "20261202QNXGFT01000042"
    payment = settled(body, account, rail="fedwire", network_key=imad)
    reversal = FedwireMessage(
        type_code="10",
        subtype_code="02",
        imad=Imad(date.today(), "CHASGFT1", "000777"),
        amount=payment.amount_minor,
        sender_aba="021000021",
        receiver_aba="121000248",
        business_function_code="CTR",
        test_production_code="T",
        sender_reference="REV1",
        previous_imad=imad,
        beneficiary_fi=FedwireParty("F", "121000248"),
        beneficiary=FedwireParty("D", "123456789", "ACME CORP"),
        originator=FedwireParty("D", "1", "JOHN SMITH"),
        originator_fi=FedwireParty("F", "021000021"),
    )
    (item,) = services.message_receive(raw=build_fedwire_message(reversal)).items
    assert item.outcome == "applied"
    payment.refresh_from_db()
    assert (payment.status, payment.reason_code) == (S.RETURNED, "REVERSAL")


def test_a_return_for_a_payment_never_sent_is_refused_and_kept():
    account = funded_account("1000.00", "USD")
    payment = payment_services.payment_send(
        request=request_from(ach_body(account.public_id)), debtor_account=account.public_id
    ).payment
    returned = return_entry_for(
        outbound_ach_entry(payment, make_trace_number("12100024", 77)),
        return_reason_code="R01",
        returning_dfi_identification=SENDER_ODFI,
        sequence=5,
    )
    (item,) = services.message_receive(raw=ach_answer_file(returned)).items
    assert item.outcome == "refused" and "payment_not_returnable" in item.detail
    payment.refresh_from_db()
    assert payment.status == S.QUEUED


def test_the_payment_api_shows_a_returned_payment_with_its_reversal(api):
    account = funded_account("1000.00", "USD")
    trace = make_trace_number("12100024", 4799)
    payment = settled(ach_body(account.public_id), account, rail="ach", network_key=trace)
    returned = return_entry_for(
        outbound_ach_entry(payment, trace),
        return_reason_code="R02",
        returning_dfi_identification=SENDER_ODFI,
        sequence=9,
    )
    services.message_receive(raw=ach_answer_file(returned))
    body = api.get(f"/api/v1/payments/{payment.public_id}").json()
    assert (body["status"], body["reason_code"]) == ("RETURNED", "R02")
    assert body["return_transaction"].startswith("txn_") and body["returned"] == "250.00"
    assert body["history"][-1]["to_status"] == "RETURNED"
    assert any(m["kind"] == "return" and m["reason"] == "R02" for m in body["messages"])


def _pacs004(payment, return_id: str, amount: str, *, currency: str = "EUR") -> bytes:
    return build_pacs004(
        Pacs004(
            message_id=f"RTR-{return_id}",
            created=datetime.now(UTC).replace(microsecond=0),
            transactions=(
                ReturnedTransaction(
                    return_id=return_id,
                    returned_amount=Decimal(amount),
                    returned_currency=currency,
                    original_message_id=payment.public_id.replace("_", "-"),
                    original_end_to_end_id=payment.reference,
                    original_uetr=str(payment.uetr),
                    reasons=(StatusReason(code="AC04"),),
                ),
            ),
        )
    )


def test_a_partial_pacs004_reverses_only_what_came_back_and_a_second_one_the_rest():
    account = funded_account("500.00", "EUR")
    payment = settled(sct_body(account.public_id), account, rail="sepa")  # 150.00 EUR
    after_payment = balance_get(account=account).ledger_minor
    (first,) = services.message_receive(raw=_pacs004(payment, "P-1", "40.00"), rail="sepa").items
    assert first.outcome == "applied", first.detail
    payment.refresh_from_db()
    assert (payment.status, payment.returned_minor) == (S.SETTLED, 4000)
    assert balance_get(account=account).ledger_minor == after_payment + 4000
    part = JournalEntry.objects.get(public_id=payment.return_transaction_id)
    assert (part.entry_type, part.amount_minor, part.reverses_id) == (EntryType.REVERSAL, 4000, None)
    assert part.metadata == {"reverses": payment.capture_transaction_id, "partial": True}
    # The capture cannot be reversed in full any more: only the rest, in part.
    with pytest.raises(DomainError) as refused:
        with transaction.atomic():
            post_reversal_in_transaction(transaction_id=payment.capture_transaction_id)
    assert refused.value.code == "partly_reversed"
    (second,) = services.message_receive(raw=_pacs004(payment, "P-2", "110.00"), rail="sepa").items
    assert second.outcome == "applied", second.detail
    payment.refresh_from_db()
    assert (payment.status, payment.returned_minor, payment.reason_code) == (S.RETURNED, 15000, "AC04")
    assert balance_get(account=account).ledger_minor == after_payment + 15000
    rest = JournalEntry.objects.get(public_id=payment.return_transaction_id)
    assert (rest.amount_minor, rest.reverses.public_id) == (11000, payment.capture_transaction_id)
    assert PaymentEvent.objects.filter(payment=payment, to_status=S.RETURNED).count() == 1
    # Anything more is an over-return: refused with its code, nothing moves.
    (third,) = services.message_receive(raw=_pacs004(payment, "P-3", "0.01"), rail="sepa").items
    assert third.outcome == "refused" and third.detail.startswith("return_exceeds_remaining")
    assert balance_get(account=account).ledger_minor == after_payment + 15000


def test_a_pacs004_for_more_than_the_payment_is_refused_and_changes_nothing():
    account = funded_account("500.00", "EUR")
    payment = settled(sct_body(account.public_id), account, rail="sepa")
    before = balance_get(account=account).ledger_minor
    (item,) = services.message_receive(raw=_pacs004(payment, "O-1", "150.01"), rail="sepa").items
    assert item.outcome == "refused" and item.detail.startswith("return_exceeds_remaining")
    notice = PaymentNotice.objects.get(network_id="RTR-O-1/O-1")
    assert notice.status == "REFUSED" and notice.payment_id == payment.public_id
    payment.refresh_from_db()
    assert (payment.status, payment.returned_minor, payment.return_transaction_id) == (S.SETTLED, 0, "")
    assert balance_get(account=account).ledger_minor == before
    assert not payment.messages.filter(kind="return").exists()
    # The same message again is a duplicate of the refused one, not a second try.
    (again,) = services.message_receive(raw=_pacs004(payment, "O-1", "150.01"), rail="sepa").items
    assert again.outcome == "duplicate"
    # A return in another currency is refused too.
    (other,) = services.message_receive(raw=_pacs004(payment, "O-2", "10.00", currency="USD"), rail="sepa").items
    assert other.outcome == "refused" and other.detail.startswith("currency_mismatch")

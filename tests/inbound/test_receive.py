"""Inbound credits: the right account, suspense when we cannot apply them, checks, duplicates."""

from __future__ import annotations

import pytest

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.core import checks
from apps.inbound import services
from apps.inbound.models import ExceptionItem, ExceptionStatus, InboundPayment, InboundStatus
from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.ledger.services import account_change_status

from .messages import OTHER_IBAN, ach_file, fedwire_ctr, mt103, pacs008

pytestmark = pytest.mark.django_db


def balance(account) -> int:
    account.refresh_from_db()
    return balance_get(account=account).ledger_minor


def gl_balance(account_type: str, currency: str) -> int:
    account = internal_account_find(account_type=account_type, currency=currency)
    return balance_get(account=account).ledger_minor if account else 0


def test_sepa_credit_lands_on_the_account_its_iban_names(eur_account):
    raw, uetr = pacs008(amount="250.00")
    result = services.message_receive(raw=raw, rail="sepa", source="api")
    (item,) = result.items
    assert item.outcome == "credited"
    assert balance(eur_account) == 1000 + 25000
    inbound = InboundPayment.objects.get(network_id=uetr)
    assert inbound.status == InboundStatus.CREDITED and inbound.account == eur_account
    assert inbound.resolved_by == "iban"
    entry = JournalEntry.objects.get(public_id=inbound.transaction_id)
    assert entry.metadata["inbound"] == inbound.public_id
    assert gl_balance(AccountType.NOSTRO, "EUR") == -25000


def test_a_duplicate_message_credits_once(eur_account):
    raw, uetr = pacs008(amount="40.00")
    first = services.message_receive(raw=raw, rail="sepa")
    second = services.message_receive(raw=raw, rail="sepa")
    assert [i.outcome for i in first.items] == ["credited"]
    assert [i.outcome for i in second.items] == ["duplicate"]
    assert balance(eur_account) == 1000 + 4000
    assert InboundPayment.objects.filter(network_id=uetr).count() == 1


def test_unknown_iban_lands_in_suspense_and_an_operator_applies_it(eur_account):
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="75.00")
    (item,) = services.message_receive(raw=raw, rail="sepa").items
    assert item.outcome == "in_suspense"
    exception = ExceptionItem.objects.get(inbound__network_id=uetr)
    assert exception.reason_code == "unknown_beneficiary" and exception.status == ExceptionStatus.OPEN
    assert gl_balance(AccountType.SUSPENSE, "EUR") == 7500
    assert balance(eur_account) == 1000

    services.exception_apply(exception_id=exception.public_id, account_id=eur_account.public_id, actor="ops1")
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.APPLIED and exception.resolved_account == eur_account
    assert balance(eur_account) == 1000 + 7500
    assert gl_balance(AccountType.SUSPENSE, "EUR") == 0
    assert exception.inbound.status == InboundStatus.CREDITED


def test_unknown_iban_returned_by_the_operator_builds_a_pacs004(eur_account):
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="75.00")
    services.message_receive(raw=raw, rail="sepa")
    exception = ExceptionItem.objects.get(inbound__network_id=uetr)
    services.exception_return(exception_id=exception.public_id, actor="ops1")
    inbound = InboundPayment.objects.get(network_id=uetr)
    assert inbound.status == InboundStatus.RETURNED and inbound.return_status == "PENDING"
    assert inbound.return_reason_code == "AC01" and inbound.return_message_type == "pacs.004"
    assert uetr in inbound.return_body and "<Cd>AC01</Cd>" in inbound.return_body
    assert gl_balance(AccountType.SUSPENSE, "EUR") == 0 and gl_balance(AccountType.NOSTRO, "EUR") == 0
    with pytest.raises(Exception, match="RETURNED"):
        services.exception_apply(exception_id=exception.public_id, account_id=eur_account.public_id, actor="ops1")


def test_frozen_account_and_name_mismatch_go_to_suspense(eur_account):
    raw, uetr = pacs008(creditor_name="Totally Different Person", amount="10.00")
    (item,) = services.message_receive(raw=raw, rail="sepa").items
    assert item.outcome == "in_suspense"
    exception = ExceptionItem.objects.get(inbound__network_id=uetr)
    assert exception.reason_code == "name_mismatch" and exception.suggested_account == eur_account

    account_change_status(public_id=eur_account.public_id, status="FROZEN")
    raw, uetr = pacs008(amount="10.00")
    services.message_receive(raw=raw, rail="sepa")
    assert ExceptionItem.objects.get(inbound__network_id=uetr).reason_code == "account_not_active"


def test_a_held_credit_waits_in_suspense_until_released(eur_account):
    checks.register("inbound_payment", "test-hold", lambda s: checks.CheckResult.hold("review", code="test_hold"))
    try:
        raw, uetr = pacs008(amount="20.00")
        (item,) = services.message_receive(raw=raw, rail="sepa").items
    finally:
        checks.unregister("inbound_payment", "test-hold")
    assert item.outcome == "in_suspense"
    exception = ExceptionItem.objects.get(inbound__network_id=uetr)
    assert exception.reason_code == "held_by_check" and balance(eur_account) == 1000
    services.exception_apply(exception_id=exception.public_id, actor="officer")  # release: the named account
    assert balance(eur_account) == 1000 + 2000


def test_a_rejected_credit_is_returned_at_once(eur_account):
    checks.register("inbound_payment", "test-reject", lambda s: checks.CheckResult.reject("listed", code="hit"))
    try:
        raw, uetr = pacs008(amount="20.00")
        (item,) = services.message_receive(raw=raw, rail="sepa").items
    finally:
        checks.unregister("inbound_payment", "test-reject")
    assert item.outcome == "returned"
    inbound = InboundPayment.objects.get(network_id=uetr)
    assert inbound.return_reason_code == "RR04" and inbound.transaction_id == ""
    assert balance(eur_account) == 1000


def test_mt103_and_fedwire_credit_by_account_number(usd_account):
    services.message_receive(raw=mt103(account="7700112233", name="JANE ROE", amount="12.00"))
    services.message_receive(raw=fedwire_ctr(account="7700112233", name="Jane Roe", amount_cents=3000))
    assert balance(usd_account) == 10000 + 1200 + 3000
    assert set(InboundPayment.objects.values_list("resolved_by", flat=True)) == {"bic+account", "account+routing"}


def test_ach_credit_and_debits_against_available_funds(usd_account):
    raw, traces = ach_file(
        (22, "7700112233", 5000, "JANE ROE"),  # credit 50.00
        (27, "7700112233", 12000, "JANE ROE"),  # debit 120.00: 100 + 50 available
        (27, "7700112233", 9000, "JANE ROE"),  # debit 90.00: only 30 left -> R01
        (27, "9999999999", 100, "NOBODY"),  # no such account -> R03
    )
    result = services.message_receive(raw=raw)
    assert [i.outcome for i in result.items] == ["credited", "debited", "returned", "returned"]
    assert balance(usd_account) == 10000 + 5000 - 12000
    refused = InboundPayment.objects.get(network_id=traces[2])
    assert refused.return_reason_code == "R01" and refused.return_message_type == "ACH return file"
    assert InboundPayment.objects.get(network_id=traces[3]).return_reason_code == "R03"
    from apps.payments.formats import nacha

    returned = nacha.parse(refused.return_body)
    (entry,) = returned.batches[0].entries
    assert entry.transaction_code == 26 and entry.addenda[0].original_trace_number == traces[2]


def test_beat_returns_what_nobody_resolved_by_the_rails_deadline(eur_account):
    from datetime import timedelta

    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="9.00")
    services.message_receive(raw=raw, rail="sepa")
    exception = ExceptionItem.objects.get(inbound__network_id=uetr)
    assert exception.return_by >= exception.created_at.date() + timedelta(days=3)  # 3 TARGET business days
    assert services.exceptions_return_due(today=exception.return_by - timedelta(days=1)) == 0
    assert services.exceptions_return_due(today=exception.return_by) == 1
    exception.refresh_from_db()
    assert exception.status == ExceptionStatus.RETURNED and exception.resolved_by == "system:inbound-deadline"


def test_mt103_fedwire_and_ach_items_return_in_their_own_format(usd_account):
    from apps.payments.formats import fedwire, nacha, swift_mt

    services.message_receive(raw=mt103(account="000000000", name="NOBODY"))
    services.message_receive(raw=fedwire_ctr(account="000000000", name="NOBODY", amount_cents=500))
    services.message_receive(raw=ach_file((22, "000000000", 700, "NOBODY"))[0])
    for exception in ExceptionItem.objects.filter(status=ExceptionStatus.OPEN):
        services.exception_return(exception_id=exception.public_id, actor="ops")
    by_type = {i.return_message_type: i for i in InboundPayment.objects.filter(status=InboundStatus.RETURNED)}
    assert set(by_type) == {"MT103 RETN", "Fedwire reversal", "ACH return file"}
    mt = swift_mt.parse(by_type["MT103 RETN"].return_body)
    assert mt.sender_to_receiver_information[:2] == ("/RETN/59", "/AC01/")
    wire = fedwire.parse(by_type["Fedwire reversal"].return_body)
    assert wire.subtype_code == "02" and wire.previous_imad == by_type["Fedwire reversal"].network_id
    ach = nacha.parse(by_type["ACH return file"].return_body)
    assert ach.batches[0].entries[0].addenda[0].return_reason_code == "R03"


def test_our_ach_return_file_is_dated_the_next_fed_banking_day(usd_account):
    from datetime import UTC, date, datetime

    from apps.inbound import returns_out
    from apps.payments.formats import nacha

    services.message_receive(raw=ach_file((22, "000000000", 700, "NOBODY"))[0])
    inbound = InboundPayment.objects.get(rail="ach")
    # Wednesday before Thanksgiving, 15:00 in New York: the return settles on Friday; made Friday evening (in New
    # York, Saturday in UTC) it settles on Monday.
    for now, settles in (
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), date(2026, 11, 27)),
        (datetime(2026, 11, 28, 1, 30, tzinfo=UTC), date(2026, 11, 30)),
    ):
        returned = nacha.parse(returns_out.build_return(inbound, "R03", now=now).body)
        assert returned.header.file_creation_date == now.date()
        assert returned.batches[0].header.effective_entry_date == settles


def test_items_are_counted_by_rail_kind_and_outcome(eur_account):
    from prometheus_client import REGISTRY

    labels = {"rail": "sepa", "kind": "transfer", "outcome": "credited"}
    before = REGISTRY.get_sample_value("qenex_inbound_items_total", labels) or 0
    services.message_receive(raw=pacs008(amount="1.00")[0], rail="sepa")
    assert REGISTRY.get_sample_value("qenex_inbound_items_total", labels) == before + 1


def test_an_account_frozen_between_lookup_and_posting_sends_the_credit_to_suspense(eur_account):
    # The check runs after the beneficiary was looked up and before the posting: freezing the account there is
    # the race of an officer freezing it at that moment.
    def freeze(subject):
        account_change_status(public_id=eur_account.public_id, status="FROZEN")
        return checks.CheckResult.passed()

    checks.register("inbound_payment", "test-freeze", freeze)
    try:
        raw, uetr = pacs008(amount="7.00")
        (item,) = services.message_receive(raw=raw, rail="sepa").items
    finally:
        checks.unregister("inbound_payment", "test-freeze")
    assert item.outcome == "in_suspense"
    assert ExceptionItem.objects.get(inbound__network_id=uetr).reason_code == "account_not_active"
    assert balance(eur_account) == 1000

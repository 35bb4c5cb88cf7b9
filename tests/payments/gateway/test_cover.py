"""SWIFT through correspondents: a payment to a bank holding our nostro goes to it directly; to any other bank it
goes as an MT103 to that bank (naming our correspondent in :53A:) plus an MT202 COV to our correspondent, or with
CBPR+ as a pacs.008 (settlement method COVE, our correspondent the instructing reimbursement agent) plus a pacs.009
COV to the correspondent; the sandbox answers each like the real network; the payment settles once, to the
correspondent's nostro."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.audit.models import AuditRecord
from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments import services
from apps.payments.errors import InvalidBic
from apps.payments.formats import iso20022, swift_mt
from apps.payments.models import Correspondent, Direction, PaymentOrder
from tests.factories import funded_account

from .payments import request_from, seed_body
from .test_submission import answered, nostro_minor

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # a sandbox subprocess for the module


@pytest.fixture
def network(link, settings):
    settings.QENEX_PAYMENTS_NETWORK_URLS = f"*={link.url}"
    settings.QENEX_PAYMENTS_HTTP_TIMEOUT = 5.0
    return link


@pytest.fixture
def correspondents():
    services.correspondent_register(currency="USD", bic="CHASUS33XXX", name="JPMorgan Chase", is_default=True)
    services.correspondent_register(currency="USD", bic="CITIUS33XXX")


def send(body, account):
    return services.payment_send(request=request_from(body), debtor_account=account.public_id).payment


def test_a_payment_to_a_bank_without_a_relationship_goes_with_a_cover(network, correspondents):
    account = funded_account("60000.00", "USD")
    payment = send(seed_body(account.public_id), account)  # to DEUTDEFF: no USD relationship
    assert (payment.cover, payment.correspondent_bic) == (True, "CHASUS33XXX")
    assert "cover payment through CHASUS33XXX" in payment.routing_reasons[-1]
    before = nostro_minor("USD")
    assert services.payment_submit(payment_id=payment.public_id).status == "SUBMITTED"
    sent = {m.message_type: m.body for m in payment.messages.filter(direction=Direction.OUT)}
    assert set(sent) == {"MT103", "MT202COV"}
    mt103, cover = swift_mt.parse(sent["MT103"]), swift_mt.parse(sent["MT202COV"])
    assert mt103.receiver_bic.startswith("DEUTDEFF") and mt103.senders_correspondent.bic == "CHASUS33XXX"
    assert cover.receiver_bic.startswith("CHASUS33") and cover.related_reference == mt103.sender_reference
    assert cover.beneficiary_institution.bic == "DEUTDEFFXXX" and cover.amount == mt103.amount
    assert cover.uetr == mt103.uetr == str(payment.uetr)
    payment = answered(payment)
    assert payment.status == "SETTLED", payment.reason
    assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1  # both answered: settled once
    assert nostro_minor("USD") - before == 5_000_000
    assert balance_get(account=account).ledger_minor == 6_000_000 - 5_000_000
    answers = set(payment.messages.filter(direction=Direction.IN).values_list("message_type", flat=True))
    assert answers == {"MT900", "MT199"}


def test_a_payment_to_a_correspondent_goes_directly_without_a_cover(network, correspondents):
    account = funded_account("60000.00", "USD")
    body = seed_body(account.public_id)
    body["receiver"]["bic"] = "CITIUS33XXX"
    payment = send(body, account)
    assert (payment.cover, payment.correspondent_bic) == (False, "CITIUS33XXX")
    services.payment_submit(payment_id=payment.public_id)
    assert list(payment.messages.filter(direction=Direction.OUT).values_list("message_type", flat=True)) == ["MT103"]
    assert answered(payment).status == "SETTLED"


def test_without_correspondents_swift_goes_straight_and_cbpr_plus_covers_keep_their_format(settings, correspondents):
    account = funded_account("60000.00", "EUR")
    body = seed_body(account.public_id, currency="EUR")
    assert not send(body, account).cover  # no EUR correspondent: straight to the beneficiary's bank
    settings.QENEX_PAYMENTS_SWIFT_FORMAT = "pacs008"
    usd = funded_account("60000.00", "USD")
    payment = send(seed_body(usd.public_id, reference="INV-2"), usd)
    assert payment.cover and payment.message_format == "pacs.008"
    assert payment.routing_reasons[-1].endswith("the cover goes as pacs.008 + pacs.009 COV (CBPR+)")


def test_a_cbpr_plus_cover_payment_is_a_pacs008_plus_a_pacs009_cov_to_the_correspondent(network, settings):
    settings.QENEX_PAYMENTS_SWIFT_FORMAT = "pacs008"
    services.correspondent_register(currency="USD", bic="BOFAUS3NXXX", name="Bank of America", is_default=True)
    account = funded_account("60000.00", "USD")
    payment = send(seed_body(account.public_id), account)  # from CHASUS33 to DEUTDEFF: no USD relationship
    assert (payment.cover, payment.correspondent_bic, payment.message_format) == (True, "BOFAUS3NXXX", "pacs.008")
    before = nostro_minor("USD")
    assert services.payment_submit(payment_id=payment.public_id).status == "SUBMITTED"
    sent = {m.message_type: m.body for m in payment.messages.filter(direction=Direction.OUT)}
    assert set(sent) == {"pacs.008", "pacs.009"}
    customer, cover = iso20022.parse(sent["pacs.008"]), iso20022.parse(sent["pacs.009"])
    # The customer transfer goes to the beneficiary's bank, settled by cover through our correspondent ...
    assert customer.header.receiver.bic == "DEUTDEFFXXX"
    pacs008 = customer.document
    assert (pacs008.settlement_method, pacs008.instructing_reimbursement_agent.bic) == ("COVE", "BOFAUS3NXXX")
    # ... and the cover to the correspondent moves the funds, carrying the customer transfer it covers.
    assert cover.header.receiver.bic == "BOFAUS3NXXX" and cover.document.is_cover
    [funds], [transfer] = cover.document.transactions, pacs008.transactions
    assert (funds.uetr, funds.amount, funds.currency) == (str(payment.uetr), transfer.amount, "USD")
    assert (funds.instructed_agent.bic, funds.creditor.bic) == ("BOFAUS3NXXX", "DEUTDEFFXXX")
    assert funds.underlying.creditor.name == transfer.creditor.name == "Jane Smith"
    assert funds.underlying.creditor_agent.bic == "DEUTDEFFXXX"
    payment = answered(payment)
    assert payment.status == "SETTLED", payment.reason
    # The network answered both messages (each de-duplicated on its own id); the payment settled once.
    answers = list(payment.messages.filter(direction=Direction.IN).values_list("message_type", flat=True))
    deadline = time.monotonic() + 10
    while len(answers) < 2 and time.monotonic() < deadline:
        answered(payment, timeout=0.5)
        answers = list(payment.messages.filter(direction=Direction.IN).values_list("message_type", flat=True))
    assert answers == ["pacs.002.001.10"] * 2
    assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1
    assert nostro_minor("USD") - before == 5_000_000
    assert balance_get(account=account).ledger_minor == 6_000_000 - 5_000_000


def test_a_resent_cbpr_plus_cover_pair_is_seen_once_each_by_the_network(network, settings, gateway_sandbox):
    settings.QENEX_PAYMENTS_SWIFT_FORMAT = "pacs008"
    services.correspondent_register(currency="USD", bic="BOFAUS3NXXX", is_default=True)
    account = funded_account("60000.00", "USD")
    payment = send(seed_body(account.public_id, reference="INV-RESEND"), account)
    services.payment_submit(payment_id=payment.public_id)
    payment.refresh_from_db()
    first = (payment.network_key, payment.cover_network_key)
    PaymentOrder.objects.filter(pk=payment.pk).update(status="QUEUED")  # as after a lost receipt
    services.payment_submit(payment_id=payment.public_id)
    payment.refresh_from_db()
    assert (payment.network_key, payment.cover_network_key) == first  # the same ids again
    for key in first:
        seen = gateway_sandbox.get(f"/_sandbox/seen?id={key}")[1]["submissions"]
        assert [s["duplicate"] for s in seen] == [False, True], key
    assert answered(payment).status == "SETTLED"
    assert JournalEntry.objects.filter(metadata__hold=payment.hold_id).count() == 1


def test_one_default_per_currency_and_the_command_records_it(capsys):
    services.correspondent_register(currency="USD", bic="CHASUS33XXX", is_default=True)
    call_command("register_correspondent", "USD", "CITIUS33XXX", "--default")
    assert "USD correspondent CITIUS33XXX: default (covers)" in capsys.readouterr().out
    defaults = list(Correspondent.objects.filter(is_default=True).values_list("bic", flat=True))
    assert defaults == ["CITIUS33XXX"]
    nostro = internal_account_find(account_type=AccountType.NOSTRO, currency="USD")
    assert {c.nostro_account_id for c in Correspondent.objects.all()} == {nostro.pk}
    assert AuditRecord.objects.filter(action="payments.correspondent_registered").count() == 2
    with pytest.raises(InvalidBic):
        services.correspondent_register(currency="USD", bic="NOT A BIC")

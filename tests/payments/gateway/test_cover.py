"""SWIFT through correspondents: a payment to a bank holding our nostro goes to it directly; to any other bank it
goes as an MT103 to that bank (naming our correspondent in :53A:) plus an MT202 COV to our correspondent, which the
sandbox answers like the real network; the payment settles once, to the correspondent's nostro."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.audit.models import AuditRecord
from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.payments import services
from apps.payments.errors import InvalidBic
from apps.payments.formats import swift_mt
from apps.payments.models import Correspondent, Direction
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


def test_without_correspondents_swift_goes_straight_and_cbpr_plus_covers_go_as_the_mt_pair(settings, correspondents):
    account = funded_account("60000.00", "EUR")
    body = seed_body(account.public_id, currency="EUR")
    assert not send(body, account).cover  # no EUR correspondent: straight to the beneficiary's bank
    settings.QENEX_PAYMENTS_SWIFT_FORMAT = "pacs008"
    usd = funded_account("60000.00", "USD")
    payment = send(seed_body(usd.public_id, reference="INV-2"), usd)
    assert payment.cover and payment.message_format == "MT103"
    assert payment.routing_reasons[-1].endswith("covers go as MT103 + MT202 COV")


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

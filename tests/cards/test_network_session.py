"""Network management session state through two real issuer host processes: a sign-off sent to one is seen by the
other, 0100s are then answered 91 with nothing written, a sign-on restores, and each change is audited once."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditRecord
from apps.cards.models import Authorisation, NetworkSession
from apps.cards.switch import CardSwitch
from apps.ledger.models import Hold
from apps.ledger.selectors import balance_get

from .factories import issued_card
from .host_process import CardHostProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def hosts(tmp_path, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), CardHostProcess(tmp_path) as one, CardHostProcess(tmp_path) as other:
        yield one, other


def available(account) -> int:
    return balance_get(account=account).available_minor


def test_a_sign_off_on_one_host_process_refuses_0100_on_another_until_sign_on(hosts, on_postgresql):
    one, other = hosts
    card, pan = issued_card(balance="100.00")
    with CardSwitch("127.0.0.1", one.port) as first, CardSwitch("127.0.0.1", other.port) as second:
        assert first.network_management("002").response_code == "00"
        assert first.network_management("002").response_code == "00"  # a repeat: answered, nothing changes
        refused = second.authorise(pan=pan, amount_minor=2500)
        assert (refused.mti, refused.response_code, refused.auth_id) == ("0110", "91", None)
        assert second.network_management("301").response_code == "00"  # the echo test works signed off
        assert not Authorisation.objects.filter(rrn=refused.rrn).exists()
        assert not Hold.objects.filter(account=card.account).exists()
        assert available(card.account) == 10000

        assert second.network_management("001").response_code == "00"
        again = first.send(first.authorisation_request(pan=pan, amount_minor=2500, stan=refused.stan, rrn=refused.rrn))
        assert again.response_code == "00"  # decided afresh, not a replay of the 91
    assert available(card.account) == 7500
    assert NetworkSession.objects.get().signed_on
    actions = list(
        AuditRecord.objects.filter(object_type="card_network_session")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["cards.network_signed_off", "cards.network_signed_on"]


def test_a_reversal_is_still_applied_while_signed_off(hosts, on_postgresql):
    one, _ = hosts
    card, pan = issued_card(balance="100.00")
    with CardSwitch("127.0.0.1", one.port) as switch:
        answer = switch.authorise(pan=pan, amount_minor=4000)
        assert answer.response_code == "00"
        assert switch.network_management("002").response_code == "00"
        assert switch.reverse(answer).response_code == "00"  # funds are released, not kept held
        assert available(card.account) == 10000
        assert switch.network_management("001").response_code == "00"

"""Scenario 8, "Inbound to nobody": an incoming pacs.008 names an IBAN no account of ours has.

Worked example, with real processes: the network sandbox delivers two SEPA credits from a French bank for
unknown IBANs; beat and a Celery worker read the inbound feed and park both in SUSPENSE with an exception item;
the operator, through the API, returns the first to the sender (the worker sends a pacs.004, which the network
receives once) and applies the second to the customer it was meant for. The suspense account ends at zero and
every step is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.accounts.models import AccountType
from apps.accounts.selectors import internal_account_find
from apps.audit.models import AuditRecord
from apps.inbound.models import InboundPayment
from apps.ledger.selectors import balance_get
from tests.conftest import make_client
from tests.factories import funded_account
from tests.inbound.messages import OTHER_IBAN, pacs008
from tests.inbound.processes import deliver, inbound_processes, until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
WRONG_IBAN = "DE75512108001245126199"  # valid check digits, no account of ours


@pytest.fixture(scope="module")
def processes(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict]:
    with inbound_processes(tmp_path_factory.mktemp("scenario-inbound"), django_db_blocker) as running:
        yield running


def suspense_minor() -> int:
    account = internal_account_find(account_type=AccountType.SUSPENSE, currency="EUR")
    return balance_get(account=account).ledger_minor if account else 0


def test_inbound_to_nobody_is_suspended_then_returned_or_applied(processes):
    operator = make_client(["payments:inbound"], name="inbound-operator")
    customer = funded_account("0.00", currency="EUR", name="Claire Martin", owner_id="cust-claire")
    suspense_before = suspense_minor()  # what earlier tests left there

    # 1. Two credits from BNP Paribas reach us for IBANs nobody here holds.
    to_return, uetr_1 = pacs008(creditor_iban=OTHER_IBAN, creditor_name="Unknown Person", amount="900.00")
    to_apply, uetr_2 = pacs008(creditor_iban=WRONG_IBAN, creditor_name="Claire Martin", amount="45.00")
    deliver(processes, "sepa", to_return)
    deliver(processes, "sepa", to_apply)

    # 2. The worker parks both in suspense; the operator sees two open exception items.
    def open_items():
        items = operator.get("/api/v1/inbound/exceptions?status=OPEN").json()["results"]
        return {item["inbound"]["uetr"]: item for item in items if item["inbound"]["uetr"] in (uetr_1, uetr_2)}

    items = until(lambda: len(open_items()) == 2 and open_items(), processes, what="both in suspense")
    assert {item["reason_code"] for item in items.values()} == {"unknown_beneficiary"}
    assert items[uetr_1]["return_by"] > items[uetr_1]["created_at"][:10]  # the SEPA deadline: 3 TARGET days
    assert suspense_minor() - suspense_before == 90000 + 4500

    # 3. The first goes back to the sender: our pacs.004 quotes the original UETR with reason AC01.
    returned = operator.post(f"/api/v1/inbound/exceptions/{items[uetr_1]['id']}/return", {}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "RETURNED"
    sent = until(
        lambda: InboundPayment.objects.filter(network_id=uetr_1, return_status="SENT").first(),
        processes,
        what="pacs.004 sent",
    )
    assert sent.return_reason_code == "AC01" and uetr_1 in sent.return_body
    seen = processes["sandbox"].get(f"/_sandbox/seen?id=MsgId:{sent.public_id.replace('_', '-')}")[1]
    assert seen["count"] == 1

    # 4. The second was meant for Claire Martin: the operator applies it to her account.
    applied = operator.post(
        f"/api/v1/inbound/exceptions/{items[uetr_2]['id']}/apply", {"account": customer.public_id}, format="json"
    )
    assert applied.status_code == 200 and applied.json()["resolved_account"] == customer.public_id
    assert balance_get(account=customer).ledger_minor == 4500
    assert suspense_minor() == suspense_before

    # 5. Every step is in the audit trail.
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {
        "inbound.in_suspense",
        "inbound.exception_returned",
        "inbound.return_sent",
        "inbound.exception_applied",
    } <= actions

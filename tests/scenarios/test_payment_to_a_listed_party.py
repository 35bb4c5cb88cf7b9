"""Scenario 2, "A payment to a listed party", as a worked example on PostgreSQL through the API.

OFAC's SDN list is loaded (its real 2022-01-31 file, cut to a few hundred entries so the test loads it quickly;
entry 15718 is "BADEGE, Eric", a Congolese lieutenant colonel). A customer sends 2,500.00 USD by SWIFT to
"Erik Badege" in Kinshasa: a variant (given name misspelt, word order changed) of the listed name.

1. The payment stops in HELD (202, reason code ``sanctions_hit``) and its amount is reserved on the customer's
   account (a ledger hold): the funds are blocked while an officer decides.
2. A screening alert names the list entry (``ofac_sdn`` 15718) and explains the match token by token.
3. The compliance officer, signed in with MFA, confirms the match with a reason. The payment is rejected, its
   hold voided (nothing leaves the account, nothing stays reserved) and the account frozen at once (a freeze is
   immediate; unfreezing it is four-eyes, ``ACCOUNT_UNFREEZE``). The match becomes an AML alert
   (``sanctions-match``) in a case opened on the customer.
4. An AML officer decides the case ``file_sar``: a SAR is drafted from the case, FinCEN SARX XML that validates
   against FinCEN's schema and reports the stopped payment.
5. Every step is in the audit trail and ``verify_audit`` verifies the chain.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from apps.accounts.models import Account, AccountStatus
from apps.audit.models import AuditRecord
from apps.compliance.reports import fincen
from apps.compliance.screening import invalidate_index
from apps.compliance.services import sanctions_list_load
from apps.ledger.models import Hold, HoldStatus
from apps.ledger.selectors import balance_get
from tests.compliance.conftest import OFAC_2022
from tests.conftest import make_client
from tests.factories import funded_account
from tests.payments.gateway.payments import seed_body
from tests.staff import make_staff, otp_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
JSON = "application/json"
LISTED_ENTRY = "15718"  # BADEGE, Eric


def ofac_subset(path: Path, *, keep: int = 300) -> Path:
    """The first ``keep`` rows of OFAC's sdn.csv and the listed entry this scenario pays (alone: no alt/add)."""
    with OFAC_2022.open(newline="", encoding="latin-1") as source:
        rows = list(csv.reader(source))
    chosen = rows[:keep] + [row for row in rows[keep:] if row and row[0] == LISTED_ENTRY]
    with path.open("w", newline="", encoding="latin-1") as target:
        csv.writer(target).writerows(chosen)
    return path


@pytest.fixture
def ofac_loaded(tmp_path):
    folder = tmp_path / "ofac"
    folder.mkdir()
    sanctions_list_load(list_code="ofac_sdn", path=ofac_subset(folder / "sdn.csv"))
    invalidate_index()
    yield
    invalidate_index()


def test_a_payment_to_a_listed_party_is_held_rejected_frozen_and_reported(on_postgresql, ofac_loaded):
    account = funded_account("5000.00", "USD", owner_id="cust-scenario-2", name="Acme Imports LLC")
    payer = make_client(["payments:read", "payments:write"], name="acme-erp", owners=["cust-scenario-2"])
    aml = make_client(["compliance:read", "compliance:write"], name="aml-desk")

    # 1. The SWIFT payment to the listed party's name variant: HELD, the amount reserved.
    body = seed_body(account.public_id, amount="2500.00", reference="PO-7731")
    body["receiver"] = {**body["receiver"], "name": "Erik Badege", "country": "CD", "bic": "BCDCCDKIXXX"}
    sent = payer.post("/api/v1/payments/send", body, format="json", HTTP_IDEMPOTENCY_KEY="po-7731")
    assert sent.status_code == 202, sent.content
    payment = sent.json()
    assert (payment["status"], payment["reason_code"], payment["rail"]) == ("HELD", "sanctions_hit", "swift")
    assert f"ofac_sdn {LISTED_ENTRY}" in payment["reason"] and "Badege" not in payment["reason"]
    assert payment["hold"] and balance_get(account=account).held_minor == 250000
    assert balance_get(account=account).available_minor == 500000 - 250000

    # 2. The alert names the entry and explains the match.
    officer = otp_login(Client(), make_staff("officer", "compliance_officer"))
    [alert] = officer.get(f"/api/v1/screening/alerts?subject_id={payment['id']}").json()["results"]
    assert (alert["list_code"], alert["entry_id"], alert["status"]) == ("ofac_sdn", LISTED_ENTRY, "open")
    assert alert["party_role"] == "creditor" and alert["score"] >= 0.86
    kinds = {item["kind"] for item in alert["explanation"]}
    assert "typo" in kinds or "phonetic" in kinds  # Erik / Eric
    assert "exact" in kinds  # Badege

    # 3. The officer confirms the match: payment rejected, hold voided, account frozen, a case opened.
    confirmed = officer.post(
        f"/api/v1/screening/alerts/{alert['id']}/confirm",
        {"reason": "beneficiary's passport copy from the customer matches the SDN entry (DOB 1971, DRC army)"},
        content_type=JSON,
    )
    assert confirmed.status_code == 200, confirmed.content
    assert (confirmed.json()["status"], confirmed.json()["decided_by"]) == ("confirmed", "officer")
    rejected = payer.get(f"/api/v1/payments/{payment['id']}").json()
    assert (rejected["status"], rejected["reason_code"]) == ("REJECTED", "officer")
    assert Hold.objects.get(public_id=payment["hold"]).status == HoldStatus.VOIDED
    balance = balance_get(account=account)
    assert (balance.ledger_minor, balance.held_minor) == (500000, 0)  # nothing left, nothing still reserved
    assert Account.objects.get(pk=account.pk).status == AccountStatus.FROZEN
    [case] = aml.get("/api/v1/compliance/cases", {"owner_id": "cust-scenario-2"}).json()["results"]
    case = aml.get(f"/api/v1/compliance/cases/{case['id']}").json()
    assert case["status"] == "OPEN" and case["priority"] == 4  # critical
    [match] = case["alerts"]
    assert match["kind"] == "sanctions_match" and match["transactions"] == [payment["id"]]
    assert (match["figures"]["entry_id"], match["figures"]["screening_alert"]) == (LISTED_ENTRY, alert["id"])

    # 4. The case is decided: a SAR drafted from it, valid against FinCEN's SARX schema.
    decided = aml.post(
        f"/api/v1/compliance/cases/{case['id']}/decide",
        {"decision": "file_sar", "reason": "attempted funds transfer to an SDN-listed individual"},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "SAR_FILED"
    [sar] = aml.get("/api/v1/compliance/reports", {"type": "SAR", "owner_id": "cust-scenario-2"}).json()["results"]
    xml = aml.get(f"/api/v1/compliance/reports/{sar['id']}/xml").content
    fincen.validate("SARX", xml)  # raises FincenSchemaError if FinCEN's schema refuses it
    text = xml.decode()
    assert case["id"] in text and LISTED_ENTRY in text and payment["id"] in text
    assert sar["figures"]["total"] == "2500.00" and sar["figures"]["kinds"] == ["sanctions_match"]

    # 5. The audit trail has every step, and its chain verifies.
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {
        "payments.payment_sent",
        "screening.alerts_raised",
        "screening.alert_confirmed",
        "payments.payment_rejected",
        "aml.alert_raised",
        "aml.case_decided",
    } <= actions
    decision = AuditRecord.objects.get(action="aml.case_decided", object_id=case["id"])
    assert decision.after["report"] == sar["id"]  # the SAR was drafted in the decision's own transaction
    call_command("verify_audit", stdout=io.StringIO())

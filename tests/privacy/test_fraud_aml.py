"""Data-subject rights over the fraud and AML tables: what the export shows and withholds, what erasure deletes
and what it keeps (AML records: retained, processing restricted), and the holds open alerts place."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from apps.approvals.services import approval_approve
from apps.audit.models import AuditRecord
from apps.compliance.aml_models import AmlAlert, AmlCase, CaseNote, Severity
from apps.compliance.cases import services as cases
from apps.customers.models import Customer
from apps.fraud.models import FraudAlert, FraudLabel
from apps.fraud.services import alert_decide
from apps.ledger.selectors import ledger_minor
from apps.ledger.services import account_change_status, account_open, post_withdrawal
from apps.privacy import services
from apps.privacy.models import ErasureStatus
from apps.privacy.selectors import legal_hold_reason
from apps.privacy.services import erasures_execute_due
from apps.security.subject_keys import ERASED_TEXT
from tests.compliance.aml.conftest import ledger, rules  # noqa: F401 (fixtures for these tests)
from tests.fraud.conftest import always, fresh_runtime, promoted, small_csv, small_model  # noqa: F401
from tests.staff import make_staff

from .helpers import assert_ledger_intact, rich_customer

pytestmark = pytest.mark.django_db

RETENTION_AML_ONLY = {"kyc": 0, "transactions": 0, "payments": 0, "screening": 0, "cards": 0, "aml": 3650}


def officers():
    return make_staff("dpo", "compliance_officer"), make_staff("checker", "compliance_officer")


@pytest.fixture
def watched(promoted, always, rules, ledger, django_capture_on_commit_callbacks):  # noqa: F811
    """A customer with a fraud alert (reviewed: not fraud) on a withdrawal and an open AML case on a cash deposit."""
    always("review")
    rules("cash_over_threshold", severity=Severity.MEDIUM)
    customer, eur, _ = rich_customer("Wilma Quendt", national_id="WQ-314")
    with django_capture_on_commit_callbacks(execute=True):
        post_withdrawal(from_account=eur.public_id, amount="25.00", currency="EUR")
    fraud_alert = FraudAlert.objects.get(customer_id=customer.public_id)
    alert_decide(alert_id=fraud_alert.public_id, is_fraud=False, actor="analyst")
    usd = account_open(owner_id=customer.public_id, account_type="CHECKING", currency="USD", name="Wilma Quendt")
    ledger.deposit(usd, "12000.00")
    case = AmlCase.objects.get(owner_id=customer.public_id)
    cases.case_note_add(case_id=case.public_id, text="Customer says: inheritance.", actor="aml-officer")
    return customer, [eur, usd], fraud_alert, case


def _export(customer) -> tuple[dict, dict]:
    data, export = services.subject_export(customer_id=customer.public_id, actor="dpo")
    audit = AuditRecord.objects.get(action="privacy.subject_exported", after__export=export.public_id)
    return data, audit.after


def test_the_export_shows_fraud_decisions_and_withholds_aml_records_while_they_could_tip_off(watched):
    customer, _, fraud_alert, case = watched
    data, logged = _export(customer)
    (shown,) = data["fraud"]["alerts"]
    assert (shown["id"], shown["decision"], shown["review"]) == (fraud_alert.public_id, "review", "not_fraud")
    assert shown["main_factors"] and {"feature", "value", "contribution"} <= set(shown["main_factors"][0])
    assert [label["is_fraud"] for label in data["fraud"]["labels"]] == [False]
    # An open AML case and its alert: not a word of them to the subject (tipping-off) ...
    assert data["aml"] == {"alerts": [], "cases": [], "reports": []}
    text = json.dumps(data)
    assert case.public_id not in text and AmlAlert.objects.get(case=case).public_id not in text
    # ... but the export's internal log says the records were examined and withheld.
    assert logged["aml_withheld"] == {"alerts": 1, "cases": 1, "reports": 0}

    cases.case_decide(case_id=case.public_id, decision="close", reason="inheritance documented", actor="aml-officer")
    data, logged = _export(customer)
    assert [c["id"] for c in data["aml"]["cases"]] == [case.public_id]
    assert [a["kind"] for a in data["aml"]["alerts"]] == ["cash_over_threshold"]
    assert logged["aml_withheld"] == {"alerts": 0, "cases": 0, "reports": 0}
    assert "inheritance" not in json.dumps(data)  # officers' notes and reasons are not the subject's export


def test_a_case_that_led_to_a_sar_stays_withheld(watched):
    customer, _, _, case = watched
    cases.case_decide(case_id=case.public_id, decision="file_sar", reason="unexplained cash", actor="aml-officer")
    data, logged = _export(customer)
    assert data["aml"]["alerts"] == data["aml"]["cases"] == []
    assert all(report["type"] != "SAR" for report in data["aml"]["reports"])
    assert logged["aml_withheld"]["cases"] == 1 and logged["aml_withheld"]["alerts"] == 1
    assert logged["aml_withheld"]["reports"] == 1


def test_open_fraud_and_aml_alerts_hold_the_erasure(watched, django_capture_on_commit_callbacks):
    customer, (eur, _), _, case = watched
    assert legal_hold_reason(customer_id=customer.public_id) == "open AML case"
    cases.case_decide(case_id=case.public_id, decision="close", reason="inheritance documented", actor="aml-officer")
    assert legal_hold_reason(customer_id=customer.public_id) == ""
    with django_capture_on_commit_callbacks(execute=True):
        post_withdrawal(from_account=eur.public_id, amount="5.00", currency="EUR")  # reviewed by nobody yet
    assert legal_hold_reason(customer_id=customer.public_id) == "open fraud alert"


def test_erasure_deletes_fraud_records_and_keeps_aml_records_restricted_until_their_retention_ends(
    watched, settings
):
    settings.QENEX_PRIVACY_RETENTION_DAYS = RETENTION_AML_ONLY
    customer, accounts, fraud_alert, case = watched
    cases.case_decide(case_id=case.public_id, decision="close", reason="inheritance documented", actor="aml-officer")
    for account in accounts:
        balance = ledger_minor(account.pk)
        amount = f"{balance // 100}.{balance % 100:02d}"
        post_withdrawal(from_account=account.public_id, amount=amount, currency=account.currency)
        account_change_status(public_id=account.public_id, status="CLOSED")
    FraudAlert.objects.filter(customer_id=customer.public_id, status="open").update(status="not_fraud")
    dpo, checker = officers()
    erasure = services.erasure_request(customer_id=customer.public_id, maker=dpo, reason="art. 17 request")
    approval_approve(public_id=erasure.approval_id, checker=checker)
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.SCHEDULED and erasure.retention_kinds == ["aml"]  # AML retention holds it

    later = erasure.execute_after + dt.timedelta(days=1)
    assert erasures_execute_due(now=later) == [erasure.public_id]
    erasure.refresh_from_db()
    assert Customer.objects.get(pk=customer.pk).name == ERASED_TEXT
    # Fraud: deleted (no legal retention; training already left the erased out).
    assert not FraudAlert.objects.filter(customer_id=customer.public_id).exists()
    assert not FraudLabel.objects.filter(customer_id=customer.public_id).exists()
    assert erasure.result["erased"]["fraud"]["alerts"] >= 1 and erasure.result["erased"]["fraud"]["labels"] == 1
    # AML: every record kept as it was, marked restricted, with the end of its own retention.
    case.refresh_from_db()
    (alert,) = AmlAlert.objects.filter(owner_id=customer.public_id)
    assert case.restricted_at is not None and alert.restricted_at is not None
    ended = max(a.updated_at for a in accounts_of(customer))
    assert case.retain_until == (max(case.closed_at, ended) + dt.timedelta(days=3650)).date()
    assert CaseNote.objects.get(case=case).text == "Customer says: inheritance."
    assert erasure.result["retained"]["aml"]["cases"] == 1 and erasure.result["retained"]["aml"]["alerts"] == 1
    assert AuditRecord.objects.filter(action="aml.subject_restricted", object_id=customer.public_id).exists()
    assert_ledger_intact()


def accounts_of(customer):
    from apps.accounts.models import Account

    return Account.objects.filter(owner_id=customer.public_id)


def _restricted_customer(name: str, national_id: str):
    customer, account, _ = rich_customer(name, national_id=national_id)
    services.flags_set(
        customer_id=customer.public_id, processing_restricted=True, restriction_reason="objection", actor="dpo"
    )
    return customer, account


def test_fraud_evaluate_leaves_out_the_rows_of_a_restricted_customer(small_csv, tmp_path):  # noqa: F811
    import csv

    from django.core.management import call_command

    with open(small_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    test_window = [r for r in rows if "2026-02-05" <= r["timestamp"][:10] <= "2026-02-14"]
    synthetic_id = max({r["customer_id"] for r in test_window}, key=lambda c: sum(r["customer_id"] == c for r in rows))
    customer, _ = _restricted_customer("Greta Ruhland", "GR-555")
    for row in rows:  # that synthetic customer is now our restricted one
        if row["customer_id"] == synthetic_id:
            row["customer_id"] = customer.public_id
    mapped = tmp_path / "mapped.csv"
    with open(mapped, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    theirs = {r["transaction_id"] for r in rows if r["customer_id"] == customer.public_id}
    assert theirs & {r["transaction_id"] for r in test_window}

    scores, out = tmp_path / "scores.csv", tmp_path / "report.json"
    with open(out, "w") as stdout:
        call_command("fraud_evaluate", "--csv", str(mapped), "--train-from", "2026-01-01", "--train-to", "2026-01-28",
                     "--test-from", "2026-02-05", "--test-to", "2026-02-14", "--scores-out", str(scores),
                     "--format", "json", "--quiet", stdout=stdout)
    report = json.loads(out.read_text())
    assert report["privacy_left_out_rows"] == len(theirs)
    with open(scores, newline="") as handle:
        scored = {r["transaction_id"] for r in csv.DictReader(handle)}
    assert scored and not scored & theirs
    assert len(scored) == len(test_window) - len(theirs & {r["transaction_id"] for r in test_window})


def test_fraud_export_writes_no_row_of_a_restricted_customer(tmp_path):
    import csv
    import io

    from django.core.management import call_command

    alice, alice_account, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    bruno, bruno_account = _restricted_customer("Bruno Vexler", "BV-992")
    for account in (alice_account, bruno_account):
        post_withdrawal(from_account=account.public_id, amount="5.00", currency="EUR")
    out = tmp_path / "export.csv"
    printed = io.StringIO()
    call_command("fraud_export", "--out", str(out), stdout=printed)
    with open(out, newline="") as handle:
        customers = {r["customer_id"] for r in csv.DictReader(handle)}
    assert alice.public_id in customers and bruno.public_id not in customers
    assert "left out" in printed.getvalue()

"""The AML API: scopes, the case workflow (a high-risk close answers 202), the report workflow, codes on errors."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.utils import timezone

from apps.compliance.aml_models import AmlCase, CaseStatus
from apps.compliance.reports import fincen
from apps.compliance.reports.services import custom_report_save
from tests.conftest import make_client
from tests.staff import make_staff, otp_login

from .conftest import new_owner, open_account

pytestmark = pytest.mark.django_db
RW = ["compliance:read", "compliance:write"]


@pytest.fixture
def case(rules, ledger) -> AmlCase:
    rules("cash_over_threshold")
    owner = new_owner()
    ledger.deposit(open_account(owner), "15000.00")
    return AmlCase.objects.get(owner_id=owner)


def test_reading_needs_compliance_read_and_writing_compliance_write(case):
    assert make_client(["accounts:read"], "no-aml").get("/api/v1/compliance/alerts").status_code == 403
    reader = make_client(["compliance:read"], "aml-reader")
    listed = reader.get("/api/v1/compliance/alerts", {"owner_id": case.owner_id}).json()["results"]
    assert [a["kind"] for a in listed] == ["cash_over_threshold"] and listed[0]["case"] == case.public_id
    assert listed[0]["figures"]["total"] == "15000.00" and listed[0]["rule_version"] == 1
    refused = reader.post(f"/api/v1/compliance/cases/{case.public_id}/notes", {"text": "x"}, format="json")
    assert refused.status_code == 403
    assert AmlCase.objects.get(pk=case.pk).notes.count() == 0


def test_an_unknown_case_is_404_with_a_code_and_an_unknown_field_is_400(case):
    client = make_client(RW, "aml-rw")
    missing = client.get("/api/v1/compliance/cases/case_nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "case_not_found"
    bad = client.post(f"/api/v1/compliance/cases/{case.public_id}/escalate", {"reason": "x", "extra": 1}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_field"


def test_the_case_workflow_through_the_api(case):
    client = make_client(RW, "aml-worker")
    url = f"/api/v1/compliance/cases/{case.public_id}"
    assert client.post(f"{url}/notes", {"text": "called the customer"}, format="json").status_code == 201
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    attached = client.post(
        f"{url}/attachments", {"name": "id.png", "content_base64": base64.b64encode(png).decode()}, format="json"
    )
    assert attached.status_code == 201 and attached.json()["attachments"][0]["size"] == 16
    not_png = client.post(
        f"{url}/attachments", {"name": "id.png", "content_base64": base64.b64encode(b"PNG").decode()}, format="json"
    )
    assert not_png.status_code == 415 and not_png.json()["error"]["code"] == "attachment_type_refused"
    not_b64 = client.post(f"{url}/attachments", {"name": "x", "content_base64": "%%%"}, format="json")
    assert not_b64.status_code == 400
    escalated = client.post(f"{url}/escalate", {"reason": "large cash"}, format="json").json()
    assert escalated["status"] == "ESCALATED" and escalated["priority"] == 3
    decided = client.post(f"{url}/decide", {"decision": "close", "reason": "payroll cash"}, format="json")
    assert decided.status_code == 202 and decided.json()["status"] == CaseStatus.PENDING_APPROVAL
    detail = client.get(url).json()
    assert [e["action"] for e in detail["events"]][-4:] == [
        "note_added",
        "attachment_added",
        "escalated",
        "close_requested",
    ]
    assert detail["approval"].startswith("apr_")


def test_file_sar_through_the_api_and_the_report_workflow_with_two_clients(case):
    officer, second = make_client(RW, "aml-officer-1"), make_client(RW, "aml-officer-2")
    decided = officer.post(
        f"/api/v1/compliance/cases/{case.public_id}/decide",
        {"decision": "file_sar", "reason": "unexplained cash"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "SAR_FILED"
    [report_id] = decided.json()["reports"]
    xml = officer.get(f"/api/v1/compliance/reports/{report_id}/xml")
    assert xml["Content-Type"] == "application/xml"
    fincen.validate("SARX", xml.content)
    assert b"Subject" in officer.get(f"/api/v1/compliance/reports/{report_id}/html").content
    assert officer.post(f"/api/v1/compliance/reports/{report_id}/review").json()["status"] == "REVIEWED"
    same = officer.post(f"/api/v1/compliance/reports/{report_id}/approve")
    assert same.status_code == 403 and same.json()["error"]["code"] == "same_officer_refused"
    assert second.post(f"/api/v1/compliance/reports/{report_id}/approve").json()["status"] == "APPROVED"
    filed = officer.post(f"/api/v1/compliance/reports/{report_id}/file", {"bsa_id": "31000000000042"}, format="json")
    assert filed.json()["status"] == "FILED" and filed.json()["bsa_id"] == "31000000000042"


def test_ctrs_are_drafted_on_request_and_listed(case):
    client = make_client(RW, "aml-ctr")
    drafted = client.post("/api/v1/compliance/reports/ctr", {"day": timezone.localdate().isoformat()}, format="json")
    assert drafted.status_code == 201 and [r["owner_id"] for r in drafted.json()] == [case.owner_id]
    listed = client.get("/api/v1/compliance/reports", {"type": "CTR"}).json()["results"]
    assert [r["id"] for r in listed] == [drafted.json()[0]["id"]]


def test_a_custom_report_exports_csv(case):
    saved = custom_report_save(
        name="open alerts", source="alerts", filters={"status": "OPEN"}, columns=["kind", "owner_id"], actor="t"
    )
    response = make_client(["compliance:read"], "aml-csv").get(f"/api/v1/compliance/custom-reports/{saved.pk}/csv")
    assert response["Content-Type"] == "text/csv"
    assert response.content.decode().splitlines() == ["kind,owner_id", f"cash_over_threshold,{case.owner_id}"]


def test_rules_are_listed_and_an_edit_through_the_api_is_a_new_version(rules):
    client = make_client(RW, "aml-rules")
    rules("round_amounts", code="round")
    changed = client.post(
        "/api/v1/compliance/rules",
        {"code": "round", "name": "round", "kind": "round_amounts", "parameters": {"min_count": 5}},
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    bad = client.post(
        "/api/v1/compliance/rules",
        {"code": "round", "name": "round", "kind": "round_amounts", "parameters": {"colour": "red"}},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_rule_parameters"


def test_staff_need_the_compliance_role(case):
    officer = otp_login(Client(), make_staff("aml-api-officer", "compliance_officer"))
    teller = otp_login(Client(), make_staff("aml-api-teller", "teller"))
    assert officer.get(f"/api/v1/compliance/cases/{case.public_id}").status_code == 200
    assert teller.get(f"/api/v1/compliance/cases/{case.public_id}").status_code == 403
    refused = teller.post(
        f"/api/v1/compliance/cases/{case.public_id}/escalate", {"reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403

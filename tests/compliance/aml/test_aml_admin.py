"""The officer's admin pages: each save or action is a service call (a rule edit is a new version, a case decision
is recorded, a report moves review -> approve -> filed), and the list pages filter and search."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from apps.compliance.aml_models import AmlCase, AmlReport, CaseStatus, CustomReport, MonitoringRule, ReportStatus
from apps.compliance.reports.services import ctrs_generate
from tests.staff import make_staff, otp_login

from .conftest import new_owner, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return otp_login(Client(), make_staff("adm-officer", "compliance_officer"))


@pytest.fixture
def case(rules, ledger) -> AmlCase:
    rules("cash_over_threshold")
    owner = new_owner()
    ledger.deposit(open_account(owner), "12000.00")
    return AmlCase.objects.get(owner_id=owner)


def test_editing_a_rule_in_the_admin_writes_a_new_version(officer):
    rule = MonitoringRule.objects.get(code="structuring")
    page = officer.get(f"/admin/compliance/monitoringrule/{rule.pk}/change/")
    assert page.status_code == 200 and "lower_percent" in page.content.decode()
    response = officer.post(
        f"/admin/compliance/monitoringrule/{rule.pk}/change/",
        {
            "name": rule.name,
            "schedule": rule.schedule,
            "severity": rule.severity,
            "active": "on",
            "parameters": '{"lower_percent": 85, "min_count": 3, "window_days": 3}',
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.version == 2 and rule.parameters["lower_percent"] == 85 and rule.updated_by == "adm-officer"
    refused = officer.post(
        f"/admin/compliance/monitoringrule/{rule.pk}/change/",
        {
            "name": rule.name,
            "schedule": rule.schedule,
            "severity": rule.severity,
            "active": "on",
            "parameters": '{"colour": "red"}',
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert refused.status_code == 200 and "unknown parameter" in refused.content.decode()
    rule.refresh_from_db()
    assert rule.version == 2


def test_case_list_filters_and_search_and_a_decision_in_the_change_form(officer, case):
    listed = officer.get("/admin/compliance/amlcase/", {"status__exact": "OPEN", "q": case.owner_id})
    assert listed.status_code == 200 and case.public_id in listed.content.decode()
    assert case.public_id not in officer.get("/admin/compliance/amlcase/", {"status__exact": "CLOSED"}).content.decode()
    assert officer.get("/admin/compliance/amlcase/", {"due": "overdue"}).status_code == 200
    url = f"/admin/compliance/amlcase/{case.pk}/change/"
    form = {
        "assignee": "",
        "priority": case.priority,
        "due_at_0": "",
        "due_at_1": "",
        "note": "checked the teller log",
        "escalate_reason": "",
        "decide": "close",
        "decide_reason": "salary paid in cash",
    }
    for inline in ("alerts", "notes", "attachments", "events"):
        form.update({f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"})
    response = officer.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.decided_by == "adm-officer"
    assert case.notes.get().text == "checked the teller log"
    assert officer.get("/admin/compliance/amlalert/", {"q": case.owner_id}).status_code == 200


def test_report_review_and_approve_actions_and_filing_in_the_form(officer, case):
    [ctr] = ctrs_generate(day=timezone.localdate())
    reviewed = officer.post("/admin/compliance/amlreport/", {"action": "review", "_selected_action": [ctr.pk]})
    assert reviewed.status_code == 302
    ctr.refresh_from_db()
    assert ctr.status == ReportStatus.REVIEWED
    officer.post("/admin/compliance/amlreport/", {"action": "approve", "_selected_action": [ctr.pk]})
    ctr.refresh_from_db()
    assert ctr.status == ReportStatus.REVIEWED  # the reviewer cannot approve
    second = otp_login(Client(), make_staff("adm-officer-2", "compliance_officer"))
    second.post("/admin/compliance/amlreport/", {"action": "approve", "_selected_action": [ctr.pk]})
    response = second.post(
        f"/admin/compliance/amlreport/{ctr.pk}/change/", {"file_bsa_id": "31000000000777", "reject_reason": ""}
    )
    assert response.status_code == 302
    ctr = AmlReport.objects.get(pk=ctr.pk)
    assert (ctr.status, ctr.bsa_id, ctr.approved_by) == (ReportStatus.FILED, "31000000000777", "adm-officer-2")
    html = officer.get(f"/admin/compliance/amlreport/{ctr.pk}/html/").content.decode()
    assert "31000000000777" in html
    assert officer.get(f"/admin/compliance/amlreport/{ctr.pk}/xml/")["Content-Type"] == "application/xml"


def test_a_custom_report_is_defined_in_the_admin_and_exported_as_csv(officer, case):
    response = officer.post(
        "/admin/compliance/customreport/add/",
        {"name": "all cases", "source": "cases", "filters": "{}", "columns": '["public_id", "owner_id", "status"]'},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = CustomReport.objects.get(name="all cases")
    exported = officer.post(
        "/admin/compliance/customreport/", {"action": "export_csv", "_selected_action": [report.pk]}
    )
    assert exported["Content-Type"] == "text/csv"
    assert exported.content.decode().splitlines()[1] == f"{case.public_id},{case.owner_id},OPEN"


def test_a_teller_sees_no_aml_pages():
    teller = otp_login(Client(), make_staff("adm-teller", "teller"))
    assert teller.get("/admin/compliance/amlcase/").status_code == 403

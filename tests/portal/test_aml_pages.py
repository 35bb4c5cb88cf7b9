"""The AML pages of the portal: alerts (filtered, with the transactions that raised them), the cases they join and
the officer's actions on them, the FinCEN filings with their schema validation and the review → approve → file
workflow (four eyes), and the auditor's read-only screening decisions. Each action is one service call, audited;
a role without the permission gets 403 on every page and action, and bad input is a 400 that changes nothing.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.approvals.models import ApprovalKind, ApprovalRequest
from apps.audit.models import AuditRecord
from apps.compliance.aml_models import AlertStatus, AmlCase, AmlReport, CaseStatus, ReportStatus, ReportType, Severity
from apps.compliance.cases import services as cases
from apps.compliance.reports import services as reports
from tests.compliance.aml.conftest import ledger, new_owner, open_account, rules  # noqa: F401  (fixtures)
from tests.portal.test_actions import flash, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rules, ledger):  # noqa: F811
    """A customer with two alerts (cash over the threshold, then structuring) in one medium-priority case."""
    rules("cash_over_threshold", severity=Severity.MEDIUM)
    rules("structuring", min_count=2, window_days=3, severity=Severity.MEDIUM)
    account = open_account(new_owner())
    ledger.deposit(account, "9500.00")
    ledger.deposit(account, "9600.00")
    return AmlCase.objects.get(owner_id=account.owner_id)


@pytest.fixture
def officer():
    return signed_in("co1", "compliance_officer")


def _alerts(case: AmlCase):
    return {a.kind: a for a in case.alerts.all()}


def _sar(case: AmlCase, officer) -> AmlReport:
    officer.post(f"/compliance/aml/cases/{case.public_id}/decide/", {"decision": "file_sar", "reason": "structuring"})
    return AmlReport.objects.get(case=case, report_type=ReportType.SAR)


# --- alerts --------------------------------------------------------------------------------------------------------


def test_the_alert_list_filters_by_status_rule_customer_and_age(case, officer):
    alerts = _alerts(case)
    page = officer.get("/compliance/aml/alerts/").content.decode()
    assert all(a.public_id in page for a in alerts.values()) and case.public_id in page
    assert 'href="/compliance/aml/alerts/"' in page and 'href="/compliance/aml/cases/"' in page  # the menu
    by_rule = officer.get("/compliance/aml/alerts/?rule=test-structuring").content.decode()
    assert alerts["structuring"].public_id in by_rule and alerts["cash_over_threshold"].public_id not in by_rule
    def listed(query: str) -> bool:
        return alerts["structuring"].public_id in officer.get(f"/compliance/aml/alerts/?{query}").content.decode()

    assert not listed("customer=cust-nobody") and listed(f"customer={case.owner_id}")
    assert "No alert matches" in officer.get("/compliance/aml/alerts/?older_than=7").content.decode()  # raised just now
    assert "No alert matches" in officer.get("/compliance/aml/alerts/?status=CLOSED").content.decode()


def test_an_alert_shows_the_transactions_that_raised_it_and_the_rule_version(case, officer):
    alert = _alerts(case)["structuring"]
    page = officer.get(f"/compliance/aml/alerts/{alert.public_id}/").content.decode()
    for transaction in alert.transactions:
        assert transaction in page
    assert "9,500.00 USD" in page and "9,600.00 USD" in page and "DEPOSIT" in page
    assert f"test-structuring (version {alert.rule_version.version})" in page and "min_count = 2" in page
    assert "Dismiss (close the case)" in page
    assert officer.get("/compliance/aml/alerts/aml_missing/").status_code == 404


def test_assigning_and_escalating_from_an_alert_act_on_its_case_and_are_audited(case, officer):
    alert = _alerts(case)["structuring"]
    response = officer.post(f"/compliance/aml/alerts/{alert.public_id}/assign/", {"assignee": "co1"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/compliance/aml/alerts/{alert.public_id}/"
    assert f"Case {case.public_id}: assigned to co1." in flash(response)
    case.refresh_from_db()
    assert (case.assignee.username, case.status) == ("co1", CaseStatus.IN_PROGRESS)
    assert AuditRecord.objects.filter(action="aml.case_assigned", object_id=case.public_id, actor="co1").exists()
    officer.post(f"/compliance/aml/alerts/{alert.public_id}/escalate/", {"reason": "two rules in one day"})
    case.refresh_from_db()
    assert (case.status, case.escalation_level, case.priority) == (CaseStatus.ESCALATED, 1, Severity.HIGH)
    assert AuditRecord.objects.filter(action="aml.case_escalated", object_id=case.public_id).exists()


def test_bad_input_on_an_action_is_a_400_form_error_that_changes_nothing(case, officer):
    alert = _alerts(case)["structuring"]
    for path, body in (
        (f"/compliance/aml/alerts/{alert.public_id}/escalate/", {"reason": ""}),
        (f"/compliance/aml/alerts/{alert.public_id}/dismiss/", {"decision": "close", "reason": " "}),
        (f"/compliance/aml/alerts/{alert.public_id}/assign/", {"assignee": "somebody-else"}),
        (f"/compliance/aml/cases/{case.public_id}/decide/", {"decision": "maybe", "reason": "x"}),
        (f"/compliance/aml/cases/{case.public_id}/note/", {"text": ""}),
    ):
        response = officer.post(path, body)
        assert response.status_code == 400 and 'class="error"' in response.content.decode(), path
    case.refresh_from_db()
    assert (case.status, case.escalation_level, case.assignee) == (CaseStatus.OPEN, 0, None)
    assert not case.notes.exists()


def test_dismissing_an_alert_closes_its_case_with_the_reason(case, officer):
    alert = _alerts(case)["structuring"]
    response = officer.post(f"/compliance/aml/alerts/{alert.public_id}/dismiss/",
                            {"decision": "close", "reason": "explained: car sale"}, follow=True)
    assert f"Case {case.public_id}: closed." in flash(response)
    case.refresh_from_db()
    assert (case.status, case.decision_reason, case.decided_by) == (CaseStatus.CLOSED, "explained: car sale", "co1")
    assert set(case.alerts.values_list("status", flat=True)) == {AlertStatus.CLOSED}
    assert AuditRecord.objects.filter(action="aml.case_decided", object_id=case.public_id).exists()
    again = officer.post(f"/compliance/aml/alerts/{alert.public_id}/escalate/", {"reason": "x"}, follow=True)
    assert "Refused (case_not_open)" in flash(again)
    assert "Dismiss (close the case)" not in again.content.decode()  # no action on a decided case


def test_dismissing_a_high_risk_alert_waits_for_a_second_officer(case, officer):
    cases.case_update(case_id=case.public_id, priority=Severity.HIGH, actor="co1")
    alert = _alerts(case)["structuring"]
    response = officer.post(f"/compliance/aml/alerts/{alert.public_id}/dismiss/",
                            {"decision": "close", "reason": "false alarm"}, follow=True)
    approval = ApprovalRequest.objects.get(kind=ApprovalKind.AML_CASE_CLOSE)
    assert f"request {approval.public_id} is waiting" in flash(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL and approval.payload["case"] == case.public_id
    page = officer.get(f"/compliance/aml/cases/{case.public_id}/").content.decode()
    assert f"four-eyes request {approval.public_id}" in page


# --- cases ---------------------------------------------------------------------------------------------------------


def test_the_case_list_filters_and_the_case_page_shows_alerts_notes_and_history(case, officer):
    assert case.public_id in officer.get("/compliance/aml/cases/?status=OPEN").content.decode()
    assert case.public_id not in officer.get("/compliance/aml/cases/?status=CLOSED").content.decode()
    assert case.public_id not in officer.get("/compliance/aml/cases/?assignee=co1").content.decode()
    response = officer.post(f"/compliance/aml/cases/{case.public_id}/note/", {"text": "Customer says: car sale."},
                            follow=True)
    assert response.redirect_chain[-1][0] == f"/compliance/aml/cases/{case.public_id}/"
    page = response.content.decode()
    assert "Customer says: car sale." in page and "note_added" in page and "alert_added" in page
    assert all(a.public_id in page for a in case.alerts.all())
    assert AuditRecord.objects.filter(action="aml.case_note_added", object_id=case.public_id).exists()
    assert officer.get("/compliance/aml/cases/case_missing/").status_code == 404


def test_filing_a_sar_from_a_case_drafts_it_and_shows_it_valid(case, officer):
    report = _sar(case, officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.SAR_FILED and report.status == ReportStatus.DRAFT
    page = officer.get(f"/compliance/aml/cases/{case.public_id}/").content.decode()
    assert report.public_id in page and "Valid SARX" in page and "Record decision" not in page


def test_a_report_that_no_longer_validates_shows_the_schema_errors_and_is_not_downloaded(case, officer):
    report = _sar(case, officer)
    AmlReport.objects.filter(pk=report.pk).update(
        xml=report.xml.replace("<fc2:FormTypeCode>SARX", "<fc2:FormTypeCode>XX")
    )
    case_page = officer.get(f"/compliance/aml/cases/{case.public_id}/").content.decode()
    assert "Invalid SARX" in case_page and "FormTypeCode" in case_page
    page = officer.get(f"/compliance/filings/{report.public_id}/").content.decode()
    assert "Invalid SARX" in page and "FormTypeCode" in page and "Download" not in page
    download = officer.get(f"/compliance/filings/{report.public_id}/xml/")
    assert download.status_code == 409 and download.json()["code"] == "report_schema_invalid"
    refused = officer.post(f"/compliance/filings/{report.public_id}/review/", follow=True)
    assert "Refused (report_schema_invalid)" in flash(refused)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


# --- filings -------------------------------------------------------------------------------------------------------


def test_filings_list_ctrs_and_sars_with_their_validation_and_filters(case, officer):
    [ctr] = reports.ctrs_generate(day=timezone.localdate(), automatic=False)
    sar = _sar(case, officer)
    page = officer.get("/compliance/filings/").content.decode()
    assert ctr.public_id in page and sar.public_id in page and "Valid CTRX" in page and "Valid SARX" in page
    only_ctr = officer.get("/compliance/filings/?report_type=CTR").content.decode()
    assert ctr.public_id in only_ctr and sar.public_id not in only_ctr
    assert 'href="/compliance/filings/"' in page  # the menu


def test_review_approve_and_file_with_four_eyes_then_download_the_xml(case, officer):
    report = _sar(case, officer)
    base = f"/compliance/filings/{report.public_id}"
    assert "Mark reviewed" in officer.get(f"{base}/").content.decode()
    officer.post(f"{base}/review/")
    same = officer.post(f"{base}/approve/", follow=True)
    assert "Refused (same_officer_refused)" in flash(same)
    second = signed_in("co2", "compliance_officer")
    assert "Report " in flash(second.post(f"{base}/approve/", follow=True))
    assert second.post(f"{base}/file/", {"bsa_id": "not-a-number"}).status_code == 400
    second.post(f"{base}/file/", {"bsa_id": "31000123456789"})
    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.approved_by, report.bsa_id) == (
        ReportStatus.FILED, "co1", "co2", "31000123456789")
    actions = set(AuditRecord.objects.filter(object_id=report.public_id).values_list("action", flat=True))
    assert {"aml.report_reviewed", "aml.report_approved", "aml.report_filed"} <= actions
    download = officer.get(f"{base}/xml/")
    assert download.status_code == 200 and download.content.decode() == report.xml
    assert download["Content-Disposition"] == f'attachment; filename="{report.public_id}-SARX.xml"'
    assert "BSA id 31000123456789" in officer.get(f"{base}/").content.decode()


def test_a_draft_is_rejected_with_a_reason(case, officer):
    report = _sar(case, officer)
    assert officer.post(f"/compliance/filings/{report.public_id}/reject/", {"reason": ""}).status_code == 400
    officer.post(f"/compliance/filings/{report.public_id}/reject/", {"reason": "duplicate of an earlier SAR"})
    report.refresh_from_db()
    assert (report.status, report.rejection_reason) == (ReportStatus.REJECTED, "duplicate of an earlier SAR")
    assert officer.get("/compliance/filings/rpt_missing/").status_code == 404


# --- least privilege -----------------------------------------------------------------------------------------------


def _pages(case: AmlCase, report: AmlReport) -> list[str]:
    alert = next(iter(_alerts(case).values()))
    return [
        "/compliance/aml/alerts/", f"/compliance/aml/alerts/{alert.public_id}/", "/compliance/aml/cases/",
        f"/compliance/aml/cases/{case.public_id}/", "/compliance/filings/", f"/compliance/filings/{report.public_id}/",
        f"/compliance/filings/{report.public_id}/xml/", "/compliance/screening-decisions/",
    ]


def _actions(case: AmlCase, report: AmlReport) -> list[tuple[str, dict]]:
    alert = next(iter(_alerts(case).values()))
    return [
        (f"/compliance/aml/alerts/{alert.public_id}/assign/", {"assignee": ""}),
        (f"/compliance/aml/alerts/{alert.public_id}/escalate/", {"reason": "x"}),
        (f"/compliance/aml/alerts/{alert.public_id}/dismiss/", {"decision": "close", "reason": "x"}),
        (f"/compliance/aml/cases/{case.public_id}/assign/", {"assignee": ""}),
        (f"/compliance/aml/cases/{case.public_id}/note/", {"text": "x"}),
        (f"/compliance/aml/cases/{case.public_id}/escalate/", {"reason": "x"}),
        (f"/compliance/aml/cases/{case.public_id}/decide/", {"decision": "close", "reason": "x"}),
        (f"/compliance/filings/{report.public_id}/review/", {}),
        (f"/compliance/filings/{report.public_id}/approve/", {}),
        (f"/compliance/filings/{report.public_id}/reject/", {"reason": "x"}),
        (f"/compliance/filings/{report.public_id}/file/", {"bsa_id": "1"}),
    ]


@pytest.fixture
def other_sar(case, ledger):  # noqa: F811
    """A SAR drafted from another customer's case (``case`` stays open, so a permitted action would change it)."""
    account = open_account(new_owner())
    ledger.deposit(account, "20000.00")
    return _sar(AmlCase.objects.get(owner_id=account.owner_id), signed_in("co9", "compliance_officer"))


def _unchanged(case: AmlCase, report: AmlReport) -> None:
    case.refresh_from_db()
    report.refresh_from_db()
    assert (case.status, case.escalation_level, case.assignee, report.status) == (
        CaseStatus.OPEN, 0, None, ReportStatus.DRAFT)
    assert not case.notes.exists()


def test_a_teller_and_operations_get_403_on_every_page_and_action(case, other_sar):
    for username, role in (("teller1", "teller"), ("ops1", "operations")):
        client = signed_in(username, role)
        for path in _pages(case, other_sar):
            assert client.get(path).status_code == 403, (role, path)
        for path, body in _actions(case, other_sar):
            assert client.post(path, body).status_code == 403, (role, path)
        menu = client.get("/").content.decode()
        assert "/compliance/aml/" not in menu and "/compliance/filings/" not in menu
    _unchanged(case, other_sar)


def test_an_auditor_reads_every_page_and_can_do_nothing(case, other_sar):
    auditor = signed_in("aud1", "auditor")
    for path in _pages(case, other_sar):
        response = auditor.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert "Record decision" not in page and "Mark reviewed" not in page and "Dismiss" not in page, path
    menu = auditor.get("/compliance/aml/cases/").content.decode()
    assert 'href="/compliance/screening-decisions/"' in menu and 'href="/compliance/filings/"' in menu
    for path, body in _actions(case, other_sar):
        assert auditor.post(path, body).status_code == 403, path
    _unchanged(case, other_sar)

"""Cases: alerts group by customer; officers assign, note, attach, escalate, decide; high-risk closes need 4 eyes."""

from __future__ import annotations

import pytest

from apps.accounts.models import Account
from apps.approvals.errors import SelfApprovalRefused
from apps.approvals.models import ApprovalStatus
from apps.approvals.services import approval_approve, approval_reject
from apps.audit.models import AuditRecord
from apps.compliance.aml_models import AlertStatus, AmlCase, CaseStatus, ReportType, Severity
from apps.compliance.cases import services as cases
from apps.compliance.reports import fincen
from tests.staff import make_staff

from .conftest import alerts_of, new_owner, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_with_alerts(rules, ledger):
    """A customer with two alerts (cash over the threshold, then structuring) in one case."""
    rules("cash_over_threshold", severity=Severity.MEDIUM)
    rules("structuring", min_count=2, window_days=3, severity=Severity.MEDIUM)
    owner = new_owner()
    account = open_account(owner)
    ledger.deposit(account, "9500.00")
    ledger.deposit(account, "9600.00")
    return AmlCase.objects.get(owner_id=owner)


def _actions(case: AmlCase) -> list[str]:
    return list(case.events.values_list("action", flat=True))


def test_alerts_of_one_customer_join_one_open_case_with_its_history(case_with_alerts):
    case = case_with_alerts
    assert sorted(a.kind for a in case.alerts.all()) == ["cash_over_threshold", "structuring"]
    assert case.status == CaseStatus.OPEN and case.due_at is not None
    assert _actions(case) == ["opened", "alert_added", "alert_added"]
    raised = AuditRecord.objects.filter(action="aml.alert_raised", after__case=case.public_id)
    assert raised.count() == 2 and [r.after["case_opened"] for r in raised.order_by("sequence")] == [True, False]


def test_another_customer_gets_a_case_of_their_own(case_with_alerts, ledger):
    other = new_owner()
    ledger.deposit(open_account(other), "20000.00")
    assert AmlCase.objects.get(owner_id=other) != case_with_alerts


def test_an_officer_assigns_notes_attaches_and_escalates_and_each_step_is_in_the_history(case_with_alerts):
    officer = make_staff("aml-officer", "compliance_officer")
    case = cases.case_assign(case_id=case_with_alerts.public_id, assignee=officer, actor="aml-officer")
    assert (case.status, case.assignee) == (CaseStatus.IN_PROGRESS, officer)
    cases.case_note_add(case_id=case.public_id, text="Customer says: sale of a car.", actor="aml-officer")
    attachment = cases.case_attach(
        case_id=case.public_id, name="receipt.pdf", content=b"%PDF-1.4 ...", actor="aml-officer"
    )
    assert attachment.size == 12 and attachment.file.read() == b"%PDF-1.4 ..."
    case = cases.case_escalate(case_id=case.public_id, reason="two rules in one day", actor="aml-officer")
    assert (case.status, case.escalation_level, case.priority) == (CaseStatus.ESCALATED, 1, Severity.HIGH)
    assert _actions(case)[-4:] == ["assigned", "note_added", "attachment_added", "escalated"]
    note_audit = AuditRecord.objects.get(action="aml.case_note_added", object_id=case.public_id)
    assert "car" not in str(note_audit.after)  # the note's text stays out of the never-erased trail


def test_a_decision_needs_a_reason(case_with_alerts):
    with pytest.raises(cases.CaseReasonRequired):
        cases.case_decide(case_id=case_with_alerts.public_id, decision="close", reason="  ", actor="o")


def test_closing_a_case_that_is_not_high_risk_closes_it_and_its_alerts(case_with_alerts):
    case = cases.case_decide(
        case_id=case_with_alerts.public_id, decision="close", reason="explained: car sale", actor="aml-officer"
    )
    assert case.status == CaseStatus.CLOSED and case.decision_reason == "explained: car sale"
    assert set(case.alerts.values_list("status", flat=True)) == {AlertStatus.CLOSED}
    record = AuditRecord.objects.get(action="aml.case_decided", object_id=case.public_id)
    assert record.after["decision"] == "close" and record.actor == "aml-officer"
    with pytest.raises(cases.CaseNotOpen):
        cases.case_escalate(case_id=case.public_id, reason="late", actor="aml-officer")


def test_a_new_alert_after_a_close_opens_a_new_case(case_with_alerts, ledger):
    cases.case_decide(case_id=case_with_alerts.public_id, decision="close", reason="explained", actor="o")
    source = Account.objects.get(owner_id=case_with_alerts.owner_id)
    ledger.withdraw(source, "10500.00")  # cash out over the threshold: a new finding
    assert AmlCase.objects.filter(owner_id=case_with_alerts.owner_id).count() == 2


def test_file_sar_drafts_a_sar_from_the_case_that_validates_against_fincens_schema(case_with_alerts):
    case = cases.case_decide(
        case_id=case_with_alerts.public_id, decision="file_sar", reason="structuring pattern", actor="aml-officer"
    )
    assert case.status == CaseStatus.SAR_FILED
    [report] = case.reports.all()
    assert report.report_type == ReportType.SAR and report.figures["total"] == "19100.00"
    fincen.validate("SARX", report.xml.encode())
    assert case.public_id in report.xml and "structuring pattern" in report.xml


def test_closing_a_high_risk_case_waits_for_a_second_officer(case_with_alerts):
    maker = make_staff("aml-maker", "compliance_officer")
    checker = make_staff("aml-checker", "compliance_officer")
    case = cases.case_escalate(case_id=case_with_alerts.public_id, reason="large", actor="aml-maker")
    assert case.is_high_risk
    case = cases.case_decide(
        case_id=case.public_id, decision="close", reason="false alarm", actor="aml-maker", maker=maker
    )
    assert case.status == CaseStatus.PENDING_APPROVAL and case.approval
    with pytest.raises(cases.CasePendingApproval):
        cases.case_escalate(case_id=case.public_id, reason="x", actor="aml-maker")
    with pytest.raises(SelfApprovalRefused):
        approval_approve(public_id=case.approval, checker=maker)
    approval = approval_approve(public_id=case.approval, checker=checker)
    assert approval.status == ApprovalStatus.EXECUTED and approval.result_ref == case.public_id
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert AuditRecord.objects.filter(action="aml.case_closed", object_id=case.public_id).exists()
    assert AuditRecord.objects.get(action="approval.requested", object_id=case.approval).after["payload"] == {
        "case": case.public_id
    }


def test_a_rejected_high_risk_close_sends_the_case_back_to_the_officer(case_with_alerts):
    maker = make_staff("aml-maker2", "compliance_officer")
    checker = make_staff("aml-checker2", "compliance_officer")
    cases.case_update(case_id=case_with_alerts.public_id, actor="aml-maker2", priority=Severity.CRITICAL)
    case = cases.case_decide(
        case_id=case_with_alerts.public_id, decision="close", reason="fine", actor="aml-maker2", maker=maker
    )
    approval_reject(public_id=case.approval, checker=checker, reason="look at the second deposit again")
    case = cases.case_note_add(case_id=case.public_id, text="re-opened", actor="aml-maker2").case
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and "close_rejected" in _actions(case)


def test_a_teller_cannot_propose_a_high_risk_close(case_with_alerts):
    from apps.approvals.errors import ApprovalPermissionDenied

    teller = make_staff("aml-teller", "teller")
    cases.case_escalate(case_id=case_with_alerts.public_id, reason="large", actor="o")
    with pytest.raises(ApprovalPermissionDenied):
        cases.case_decide(
            case_id=case_with_alerts.public_id, decision="close", reason="x", actor="aml-teller", maker=teller
        )
    assert AmlCase.objects.get(pk=case_with_alerts.pk).status == CaseStatus.ESCALATED


def test_alerts_keep_their_evidence(case_with_alerts):
    [cash] = alerts_of(case_with_alerts.owner_id, "cash_over_threshold")
    assert cash.figures["total"] == "19100.00" and len(cash.transactions) == 2

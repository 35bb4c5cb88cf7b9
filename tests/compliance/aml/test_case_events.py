"""The stream's ``aml_case.decided``, for each way a case is decided, matches its schema."""

from __future__ import annotations

import pytest

from apps.approvals.services import approval_approve
from apps.compliance.aml_models import AmlCase, Severity
from apps.compliance.cases import services as cases
from tests.events.conftest import validated_events
from tests.staff import make_staff

from .conftest import new_owner, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rules, ledger) -> AmlCase:
    rules("cash_over_threshold", severity=Severity.MEDIUM)
    owner = new_owner()
    ledger.deposit(open_account(owner), "12000.00")
    return AmlCase.objects.get(owner_id=owner)


@pytest.mark.parametrize("decision", ["close", "file_sar"])
def test_a_decided_case_event_matches_its_schema(case, decision):
    decided = cases.case_decide(case_id=case.public_id, decision=decision, reason="reviewed", actor="aml-officer")
    [event] = validated_events("aml_case.decided", case.public_id)
    assert (event["decision"], event["status"], event["decided_by"]) == (decision, decided.status, "aml-officer")
    assert (event["report"] is None) == (decision == "close")


def test_a_high_risk_close_approved_by_a_second_officer_emits_a_valid_event(case):
    maker, checker = make_staff("ev-maker", "compliance_officer"), make_staff("ev-checker", "compliance_officer")
    cases.case_escalate(case_id=case.public_id, reason="large", actor="ev-maker")
    pending = cases.case_decide(case_id=case.public_id, decision="close", reason="ok", actor="ev-maker", maker=maker)
    assert validated_events("aml_case.decided", case.public_id) == []  # waiting for the checker: not decided yet
    approval_approve(public_id=pending.approval, checker=checker)
    [event] = validated_events("aml_case.decided", case.public_id)
    assert event["status"] == "CLOSED"

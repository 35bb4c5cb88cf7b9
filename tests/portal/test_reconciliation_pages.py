"""Reconciliation in the portal: statements and runs with closing balance vs ledger, one run's lines and breaks,
open breaks with their age, and a break's page where operations resolve it or write it off (four-eyes above the
threshold). Operations and auditors read it; a teller does not; an auditor changes nothing.
"""

from __future__ import annotations

import pytest

from apps.approvals.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from apps.reconciliation.models import ReconciliationBreak
from tests.payments.formats.statement_samples import Line
from tests.portal.test_actions import flash, signed_in
from tests.reconciliation.helpers import settled_payment, statement_for
from tests.reconciliation.test_services import import_and_run

pytestmark = pytest.mark.django_db


def test_a_statement_with_one_unmatched_line_shows_one_break_and_the_balances():
    payments = [settled_payment("E2E-P1"), settled_payment("E2E-P2")]
    fee = Line("5.00", "DBIT", remittance="Account maintenance fee")
    statement, run = import_and_run(statement_for(payments, extra=[fee]))
    (item,) = ReconciliationBreak.objects.filter(run=run)
    ops = signed_in("ops1", "operations")
    overview = ops.get("/reconciliation/").content.decode()
    assert run.public_id in overview and statement.statement_id in overview and "agrees" in overview
    assert "1 open break" in overview and "0-1 days: 1" in overview
    page = ops.get(f"/reconciliation/runs/{run.public_id}/").content.decode()
    assert item.public_id in page and "-5.00 EUR" in page and payments[0].public_id in page
    assert ops.get("/reconciliation/runs/rcr_missing/").status_code == 404
    breaks = ops.get("/reconciliation/breaks/").content.decode()
    assert item.public_id in breaks
    assert item.public_id not in ops.get("/reconciliation/breaks/?status=RESOLVED").content.decode()
    assert ops.get("/reconciliation/breaks/?kind=nonsense").status_code == 200
    assert signed_in("aud1", "auditor").get("/reconciliation/").status_code == 200


def test_a_teller_cannot_see_reconciliation():
    teller = signed_in("teller1", "teller")
    for url in ("/reconciliation/", "/reconciliation/breaks/"):
        assert teller.get(url).status_code == 403
    assert "/reconciliation/" not in teller.get("/").content.decode()


def _fee_break(amount: str):
    payment = settled_payment("E2E-PB")
    _, run = import_and_run(statement_for([payment], extra=[Line(amount, "DBIT", remittance="charges")]))
    (item,) = ReconciliationBreak.objects.filter(run=run)
    return payment, item


def test_an_officer_resolves_a_break_from_its_page_and_the_list_shows_the_resolution():
    payment, item = _fee_break("5.00")
    ops = signed_in("ops1", "operations")
    page = ops.get(f"/reconciliation/breaks/{item.public_id}/").content.decode()
    assert "Resolve</button>" in page and "Write off</button>" in page and "-5.00 EUR" in page
    refused = ops.post(f"/reconciliation/breaks/{item.public_id}/resolve/", {"note": ""})
    assert refused.status_code == 400
    unknown = ops.post(
        f"/reconciliation/breaks/{item.public_id}/resolve/", {"note": "x", "payment": "pay_nope"}, follow=True
    )
    assert "Refused (payment_not_found)" in flash(unknown)
    item.refresh_from_db()
    assert item.status == "OPEN"
    done = ops.post(
        f"/reconciliation/breaks/{item.public_id}/resolve/",
        {"note": "charges for the transfer", "payment": payment.public_id},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/reconciliation/breaks/" and "RESOLVED" in flash(done)
    item.refresh_from_db()
    assert (item.status, item.linked_payment, item.resolved_by) == ("RESOLVED", payment.public_id, "ops1")
    listed = ops.get("/reconciliation/breaks/?status=RESOLVED").content.decode()
    assert item.public_id in listed and "ops1: charges for the transfer" in listed and payment.public_id in listed
    assert "Resolve</button>" not in ops.get(f"/reconciliation/breaks/{item.public_id}/").content.decode()
    assert ops.get("/reconciliation/breaks/brk_missing/").status_code == 404


def test_a_large_write_off_waits_for_a_second_officer_on_the_approvals_page(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    _, item = _fee_break("250.00")
    maker = signed_in("ops1", "operations")
    response = maker.post(f"/reconciliation/breaks/{item.public_id}/write-off/", {"reason": "lost"}, follow=True)
    assert "needs a second officer's approval" in flash(response)
    approval = ApprovalRequest.objects.get(kind=ApprovalKind.RECON_WRITE_OFF)
    item.refresh_from_db()
    assert (item.status, item.approval) == ("OPEN", approval.public_id)
    assert "waiting for a second officer" in maker.get(f"/reconciliation/breaks/{item.public_id}/").content.decode()
    checker = signed_in("admin1", "administrator")
    assert approval.public_id in checker.get("/approvals/").content.decode()
    checker.post(f"/approvals/{approval.public_id}/approve/", {"reason": "agreed"})
    approval.refresh_from_db()
    item.refresh_from_db()
    assert approval.status == ApprovalStatus.EXECUTED, (approval.error_code, approval.error_message)
    assert (item.status, item.resolution) == ("WRITTEN_OFF", "lost")
    assert "WRITTEN_OFF" in maker.get("/reconciliation/breaks/?status=WRITTEN_OFF").content.decode()


def test_a_small_write_off_is_immediate_and_an_auditor_cannot_write_off(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    _, item = _fee_break("5.00")
    auditor = signed_in("aud1", "auditor")
    page = auditor.get(f"/reconciliation/breaks/{item.public_id}/").content.decode()
    assert "Write off</button>" not in page
    assert auditor.post(f"/reconciliation/breaks/{item.public_id}/write-off/", {"reason": "x"}).status_code == 403
    assert auditor.post(f"/reconciliation/breaks/{item.public_id}/resolve/", {"note": "x"}).status_code == 403
    ops = signed_in("ops1", "operations")
    ops.post(f"/reconciliation/breaks/{item.public_id}/write-off/", {"reason": "immaterial"})
    item.refresh_from_db()
    assert (item.status, item.approval) == ("WRITTEN_OFF", "")
    assert not ApprovalRequest.objects.exists()

"""Reconciliation in the portal, read-only: statements and runs with closing balance vs ledger, one run's lines
and breaks, open breaks with their age. Operations and auditors read it; a teller does not.
"""

from __future__ import annotations

import pytest

from apps.reconciliation.models import ReconciliationBreak
from tests.payments.formats.statement_samples import Line
from tests.portal.test_actions import signed_in
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

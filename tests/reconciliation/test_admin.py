"""The reconciliation admin: statements, runs and breaks are read-only; breaks are resolved through the service."""

from __future__ import annotations

import pytest

from apps.reconciliation import services
from apps.reconciliation.models import ReconciliationBreak
from tests.payments.formats.statement_samples import Line
from tests.staff import make_staff, otp_login

from .helpers import settled_payment, statement_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    return otp_login(client, make_staff("recon-officer", superuser=True))


def test_admin_pages_render_read_only_and_the_resolve_action_uses_the_service(staff_client):
    result = services.statement_import(
        raw=statement_for([settled_payment("E2E-ADM")], extra=[Line("3.00", "DBIT")]), actor="ops"
    )
    statement = result.created[0]
    services.reconciliation_run(statement_id=statement.public_id, actor="ops")
    item = ReconciliationBreak.objects.get()
    for page in ("bankstatement", "reconciliationrun", "reconciliationbreak", "matchingrule"):
        assert staff_client.get(f"/admin/reconciliation/{page}/").status_code == 200, page
    assert staff_client.get(f"/admin/reconciliation/bankstatement/{statement.pk}/change/").status_code == 200
    assert staff_client.get("/admin/reconciliation/reconciliationbreak/add/").status_code == 403
    response = staff_client.post(
        "/admin/reconciliation/reconciliationbreak/", {"action": "resolve", "_selected_action": [item.pk]}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.resolved_by) == ("RESOLVED", "recon-officer")

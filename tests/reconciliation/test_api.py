"""The reconciliation API and command: import a statement, read the run's summary and breaks, resolve a break."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.reconciliation.models import BankStatement
from tests.conftest import make_client
from tests.payments.formats.statement_samples import Line

from .helpers import settled_payment, statement_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_client(["reconciliation:read", "reconciliation:write"], name="recon-ops")


def test_import_reconciles_and_the_run_shows_summary_ageing_and_the_one_break(operator):
    payment = settled_payment("E2E-API-1")
    raw = statement_for([payment], extra=[Line("5.00", "DBIT")])
    response = operator.post(
        "/api/v1/reconciliation/statements",
        {"content": base64.b64encode(raw).decode(), "encoding": "base64"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["message_type"] == "camt.053.001.02" and body["duplicate"] is False
    (run,) = body["runs"]
    assert (run["matched_count"], run["unmatched_count"], run["break_count"]) == (1, 1, 1)
    assert (run["ledger_balance"], run["expected_ledger_balance"], run["balance_agrees"]) == ("150.00", "155.00", True)
    detail = operator.get(f"/api/v1/reconciliation/runs/{run['id']}").json()
    (item,) = detail["breaks"]
    assert (item["kind"], item["amount"], item["age_days"], item["line"]) == ("unmatched_statement_line", "-5.00", 0, 2)
    assert detail["ageing"]["0-1"] == 1
    listed = operator.get("/api/v1/reconciliation/breaks?status=OPEN").json()["results"]
    assert [b["id"] for b in listed] == [item["id"]]
    resolved = operator.post(
        f"/api/v1/reconciliation/breaks/{item['id']}/resolve", {"note": "fee booked"}, format="json"
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "RESOLVED"
    again = operator.post(f"/api/v1/reconciliation/breaks/{item['id']}/resolve", {"note": "x"}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "break_already_resolved")
    replay = operator.post("/api/v1/reconciliation/statements", {"content": raw.decode()}, format="json")
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert operator.get("/api/v1/reconciliation/runs").json()["results"][0]["id"] == run["id"]


def test_a_broken_file_is_400_with_a_code_and_nothing_is_stored(operator):
    response = operator.post("/api/v1/reconciliation/statements", {"content": ":20:X\r\n:25:Y\r\n-"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "statement_invalid")
    assert not BankStatement.objects.exists()


def test_scopes_are_required():
    reader = make_client(["reconciliation:read"], name="recon-reader")
    refused = reader.post("/api/v1/reconciliation/statements", {"content": "x"}, format="json")
    assert refused.status_code == 403
    assert reader.get("/api/v1/reconciliation/breaks").status_code == 200
    assert make_client(["payments:read"], name="other").get("/api/v1/reconciliation/runs").status_code == 403


def test_the_import_statement_command(tmp_path):
    payment = settled_payment("E2E-CMD-1")
    path = tmp_path / "nostro.xml"
    path.write_bytes(statement_for([payment]))
    out = io.StringIO()
    call_command("import_statement", str(path), stdout=out)
    assert "1/1 matched, 0 break(s), balance agrees" in out.getvalue()
    path.write_bytes(b"<Document/>")
    with pytest.raises(CommandError) as failure:
        call_command("import_statement", str(path), stdout=io.StringIO())
    assert failure.value.returncode == 1


def test_write_off_through_the_api_is_a_four_eyes_request_above_the_threshold(operator, settings):
    settings.QENEX_APPROVAL_THRESHOLD = "100"
    payment = settled_payment("E2E-API-2")
    raw = statement_for([payment], extra=[Line("5.00", "DBIT"), Line("300.00", "DBIT")])
    body = operator.post("/api/v1/reconciliation/statements", {"content": raw.decode()}, format="json").json()
    breaks = operator.get(f"/api/v1/reconciliation/breaks?run={body['runs'][0]['id']}").json()["results"]
    small, large = sorted(breaks, key=lambda b: abs(float(b["amount"])))
    done = operator.post(f"/api/v1/reconciliation/breaks/{small['id']}/write-off", {"reason": "fee"}, format="json")
    assert (done.status_code, done.json()["status"]) == (200, "WRITTEN_OFF")
    waiting = operator.post(f"/api/v1/reconciliation/breaks/{large['id']}/write-off", {"reason": "x"}, format="json")
    assert (waiting.status_code, waiting.json()["kind"], waiting.json()["status"]) == (
        202,
        "RECON_WRITE_OFF",
        "PENDING",
    )
    refused = operator.post(f"/api/v1/reconciliation/breaks/{large['id']}/resolve", {"note": "y"}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "break_pending_approval")
    linked = operator.post(
        f"/api/v1/reconciliation/breaks/{small['id']}/resolve", {"note": "y", "payment": "pay_x"}, format="json"
    )
    assert linked.status_code == 409  # written off already: nothing more to do to it
    missing = operator.post(f"/api/v1/reconciliation/breaks/{large['id']}/write-off", {}, format="json")
    assert missing.status_code == 400

"""Approvals over HTTP: staff sessions above the threshold get 202, checkers decide in the API or the portal."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import AccountStatus
from apps.approvals.models import ApprovalRequest, ApprovalStatus
from apps.ledger.models import JournalEntry
from apps.ledger.selectors import balance_get
from apps.ledger.services import account_change_status
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db

JSON = "application/json"


def signed_in(username: str, role: str | None = None) -> Client:
    return otp_login(Client(), make_staff(username, role))


@pytest.fixture
def accounts():
    return funded_account("30000.00"), funded_account("0.00", owner_id="other")


def transfer(client, source, target, amount, key="k-1"):
    body = {"type": "TRANSFER", "from_account": source.public_id, "to_account": target.public_id, "amount": amount}
    return client.post("/api/v1/transactions", {**body, "currency": "USD"}, content_type=JSON, HTTP_IDEMPOTENCY_KEY=key)


def test_staff_posting_above_threshold_returns_202_and_executes_on_approval(accounts):
    source, target = accounts
    teller = signed_in("tel", "teller")
    response = transfer(teller, source, target, "12000.00")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "PENDING" and body["kind"] == "POSTING" and body["maker"] == "tel"
    assert balance_get(account=target).ledger_minor == 0
    # a retry with the same Idempotency-Key answers with the same request
    assert transfer(teller, source, target, "12000.00").json()["id"] == body["id"]
    assert ApprovalRequest.objects.count() == 1

    assert (
        teller.post(f"/api/v1/approvals/{body['id']}/approve", {}, content_type=JSON).status_code == 403
    )  # teller cannot approve
    boss = signed_in("boss", "administrator")
    listed = boss.get("/api/v1/approvals?status=PENDING").json()["results"]
    assert [a["id"] for a in listed] == [body["id"]]
    done = boss.post(f"/api/v1/approvals/{body['id']}/approve", {"reason": "ok"}, content_type=JSON)
    assert done.status_code == 200 and done.json()["status"] == "EXECUTED", done.content
    again = boss.post(f"/api/v1/approvals/{body['id']}/approve", {}, content_type=JSON)
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_not_pending"
    assert balance_get(account=target).ledger_minor == 1_200_000
    assert JournalEntry.objects.filter(entry_type="TRANSFER").count() == 1
    assert boss.get(f"/api/v1/approvals/{body['id']}").json()["result_ref"] == done.json()["result_ref"]


def test_staff_posting_below_threshold_executes_directly(accounts):
    source, target = accounts
    assert transfer(signed_in("tel", "teller"), source, target, "100.00").status_code == 201


def test_api_key_posting_above_threshold_is_a_pending_approval_a_staff_checker_executes(api, accounts):
    source, target = accounts
    response = transfer(api, source, target, "12000.00")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["maker"]) == ("POSTING", "PENDING", "api:test-client")
    assert balance_get(account=target).ledger_minor == 0
    # the client learns the outcome by retrying with the same Idempotency-Key
    assert transfer(api, source, target, "12000.00").json()["id"] == body["id"]
    boss = signed_in("boss", "administrator")
    done = boss.post(f"/api/v1/approvals/{body['id']}/approve", {}, content_type=JSON)
    assert done.json()["status"] == "EXECUTED", done.content
    assert balance_get(account=target).ledger_minor == 1_200_000
    retried = transfer(api, source, target, "12000.00").json()
    assert (retried["status"], retried["result_ref"]) == ("EXECUTED", done.json()["result_ref"])


def test_api_keys_cannot_use_the_approvals_endpoints(api):
    assert api.get("/api/v1/approvals").status_code == 403


def test_maker_cannot_approve_own_request_via_api(accounts):
    source, target = accounts
    root = signed_in("root")
    root_user = make_staff("root2", superuser=True)
    other = otp_login(Client(), root_user)
    approval_id = transfer(other, source, target, "12000.00").json()["id"]
    response = other.post(f"/api/v1/approvals/{approval_id}/approve", {}, content_type=JSON)
    assert response.status_code == 403 and response.json()["error"]["code"] == "self_approval_refused"
    assert root.get(f"/api/v1/approvals/{approval_id}").status_code == 403  # no role, no view permission


def test_operations_overdraft_change_goes_to_approval(accounts):
    acc, _ = accounts
    ops = signed_in("ops", "operations")
    response = ops.post(f"/api/v1/accounts/{acc.public_id}/overdraft", {"overdraft_limit": "500.00"}, content_type=JSON)
    assert response.status_code == 202 and response.json()["kind"] == "OVERDRAFT_LIMIT"
    acc.refresh_from_db()
    assert acc.overdraft_limit_minor == 0


def test_unfreeze_by_staff_goes_to_approval_and_freeze_is_immediate(accounts):
    acc, _ = accounts
    ops = signed_in("ops", "operations")
    assert (
        ops.post(f"/api/v1/accounts/{acc.public_id}/status", {"status": "FROZEN"}, content_type=JSON).status_code == 200
    )
    response = ops.post(f"/api/v1/accounts/{acc.public_id}/status", {"status": "ACTIVE"}, content_type=JSON)
    assert response.status_code == 202 and response.json()["kind"] == "ACCOUNT_UNFREEZE"
    acc.refresh_from_db()
    assert acc.status == AccountStatus.FROZEN
    comp = signed_in("comp", "compliance_officer")
    done = comp.post(f"/api/v1/approvals/{response.json()['id']}/approve", {}, content_type=JSON)
    assert done.json()["status"] == "EXECUTED"
    acc.refresh_from_db()
    assert acc.status == AccountStatus.ACTIVE


def test_manual_adjustment_is_proposed_through_the_api(accounts):
    acc, _ = accounts
    ops = signed_in("ops", "operations")
    payload = {"account": acc.public_id, "direction": "DEBIT", "amount": "3.00", "currency": "USD", "description": "x"}
    response = ops.post("/api/v1/approvals", {"kind": "MANUAL_ADJUSTMENT", "payload": payload}, content_type=JSON)
    assert response.status_code == 202, response.content
    tel = signed_in("tel", "teller")
    assert (
        tel.post("/api/v1/approvals", {"kind": "MANUAL_ADJUSTMENT", "payload": payload}, content_type=JSON).status_code
        == 403
    )


def test_reject_via_api_needs_a_reason(accounts):
    source, target = accounts
    approval_id = transfer(signed_in("tel", "teller"), source, target, "12000.00").json()["id"]
    boss = signed_in("boss", "administrator")
    assert (
        boss.post(f"/api/v1/approvals/{approval_id}/reject", {}, content_type=JSON).json()["error"]["code"]
        == "reason_required"
    )
    done = boss.post(f"/api/v1/approvals/{approval_id}/reject", {"reason": "duplicate"}, content_type=JSON)
    assert done.json()["status"] == "REJECTED"


# --- portal ---------------------------------------------------------------------------------------------


def test_portal_queue_is_visible_only_with_the_approve_permission(accounts):
    source, target = accounts
    approval_id = transfer(signed_in("tel", "teller"), source, target, "12000.00").json()["id"]
    assert signed_in("tel2", "teller").get("/approvals/").status_code == 403
    assert signed_in("aud", "auditor").get(f"/approvals/{approval_id}/").status_code == 403
    boss = signed_in("boss", "administrator")
    page = boss.get("/approvals/")
    assert page.status_code == 200 and approval_id in page.content.decode()
    assert b"Approvals" in boss.get("/").content


def test_portal_approve_and_reject(accounts):
    source, target = accounts
    teller = signed_in("tel", "teller")
    first = transfer(teller, source, target, "12000.00", key="a").json()["id"]
    second = transfer(teller, source, target, "13000.00", key="b").json()["id"]
    boss = signed_in("boss", "administrator")
    assert b"Approve and execute" in boss.get(f"/approvals/{first}/").content
    assert boss.post(f"/approvals/{first}/approve/", {"reason": ""}).status_code == 302
    assert boss.post(f"/approvals/{second}/reject/", {"reason": "too big"}).status_code == 302
    statuses = dict(ApprovalRequest.objects.values_list("public_id", "status"))
    assert statuses == {first: ApprovalStatus.EXECUTED, second: ApprovalStatus.REJECTED}


def test_portal_decisions_are_csrf_protected(accounts):
    source, target = accounts
    approval_id = transfer(signed_in("tel", "teller"), source, target, "12000.00").json()["id"]
    boss = signed_in("boss", "administrator")
    boss.handler.enforce_csrf_checks = True  # signed in; now post like a forged cross-site form would
    assert boss.post(f"/approvals/{approval_id}/approve/", {}).status_code == 403
    assert ApprovalRequest.objects.get(public_id=approval_id).status == ApprovalStatus.PENDING


def test_portal_refuses_the_maker(accounts):
    acc, _ = accounts
    account_change_status(public_id=acc.public_id, status=AccountStatus.FROZEN)
    root = signed_in("root")
    root_user = make_staff("root2", superuser=True)
    maker = otp_login(Client(), root_user)
    approval_id = maker.post(
        f"/api/v1/accounts/{acc.public_id}/status", {"status": "ACTIVE"}, content_type=JSON
    ).json()["id"]
    page = maker.get(f"/approvals/{approval_id}/").content.decode()
    assert "Approve and execute" not in page and "another staff member" in page
    maker.post(f"/approvals/{approval_id}/approve/", {})
    assert ApprovalRequest.objects.get(public_id=approval_id).status == ApprovalStatus.PENDING
    assert root.get("/approvals/").status_code == 403


def test_admin_lists_approvals_read_only(accounts):
    source, target = accounts
    transfer(signed_in("tel", "teller"), source, target, "12000.00")
    boss = signed_in("boss", "administrator")
    assert boss.get("/admin/approvals/approvalrequest/").status_code == 200
    assert boss.get("/admin/approvals/approvalrequest/add/").status_code == 403

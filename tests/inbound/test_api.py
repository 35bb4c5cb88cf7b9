"""The inbound API and admin: upload a message, resolve an exception item; errors have codes and change nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.inbound.models import ExceptionItem, InboundPayment
from apps.ledger.selectors import balance_get
from tests.conftest import make_client
from tests.staff import make_staff, otp_login

from .messages import OTHER_IBAN, pacs008

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(db):
    return make_client(["payments:inbound"], name="inbound-ops")


def test_post_inbound_credits_and_a_resend_is_a_duplicate(ops, eur_account):
    raw, uetr = pacs008(amount="12.50")
    response = ops.post("/api/v1/payments/inbound", {"message": raw.decode(), "rail": "sepa"}, format="json")
    assert response.status_code == 201, response.json()
    (item,) = response.json()["items"]
    assert item["outcome"] == "credited" and item["inbound"]["account"] == eur_account.public_id
    again = ops.post("/api/v1/payments/inbound", {"message": raw.decode(), "rail": "sepa"}, format="json")
    assert again.status_code == 200 and again.json()["items"][0]["outcome"] == "duplicate"
    assert balance_get(account=eur_account).ledger_minor == 1000 + 1250
    detail = ops.get(f"/api/v1/inbound/payments/{item['inbound']['id']}")
    assert detail.status_code == 200 and detail.json()["uetr"] == uetr


def test_an_exception_item_is_applied_through_the_api(ops, eur_account):
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="5.00")
    ops.post("/api/v1/payments/inbound", {"message": raw.decode()}, format="json")
    listed = ops.get("/api/v1/inbound/exceptions?status=OPEN").json()["results"]
    (exception,) = [e for e in listed if e["inbound"]["uetr"] == uetr]
    assert exception["reason_code"] == "unknown_beneficiary"
    bad = ops.post(f"/api/v1/inbound/exceptions/{exception['id']}/apply", {}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "missing_field"
    done = ops.post(
        f"/api/v1/inbound/exceptions/{exception['id']}/apply", {"account": eur_account.public_id}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "APPLIED"
    twice = ops.post(f"/api/v1/inbound/exceptions/{exception['id']}/return", {}, format="json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "exception_item_resolved"
    assert balance_get(account=eur_account).ledger_minor == 1000 + 500


def test_garbage_is_400_and_records_nothing(ops):
    response = ops.post("/api/v1/payments/inbound", {"message": "hello"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_message"
    assert not InboundPayment.objects.exists()


def test_the_scope_is_required(eur_account):
    reader = make_client(["payments:read"], name="reader")
    raw, _ = pacs008()
    assert reader.post("/api/v1/payments/inbound", {"message": raw.decode()}, format="json").status_code == 403


def test_the_command_receives_a_file(tmp_path, eur_account, capsys):
    raw, uetr = pacs008(amount="3.00")
    path = tmp_path / "in.xml"
    path.write_bytes(raw)
    call_command("receive_inbound", str(path), "--rail", "sepa")
    assert "credited" in capsys.readouterr().out
    assert InboundPayment.objects.get(network_id=uetr).status == "CREDITED"


def test_an_operator_returns_an_item_from_the_admin(client, eur_account):
    officer = otp_login(client, make_staff("inbound-officer", superuser=True))
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount="5.00")
    from apps.inbound import services

    services.message_receive(raw=raw, rail="sepa")
    item = ExceptionItem.objects.get(inbound__network_id=uetr)
    assert officer.get("/admin/inbound/exceptionitem/").status_code == 200
    assert officer.get(f"/admin/inbound/exceptionitem/{item.pk}/change/").status_code == 200
    response = officer.post(
        "/admin/inbound/exceptionitem/", {"action": "return_to_sender", "_selected_action": [item.pk], "account": ""}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "RETURNED" and item.inbound.return_reason_code == "AC01"

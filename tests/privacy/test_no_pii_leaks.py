"""PII never reaches logs, error pages or metrics; a PAN never leaves the vault in exports or admin pages.

The flows run with every logger at DEBUG (caplog) and stdout/stderr captured; then the captured text, the error
responses and /metrics are searched for the distinctive values the flows used.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from apps.customers.services import customer_screen
from apps.privacy import services
from tests.cards.factories import issued_card
from tests.conftest import make_client
from tests.staff import make_staff, otp_login

from .helpers import IBAN, rich_customer

pytestmark = pytest.mark.django_db

NAME = "Zebulon Quarterfield-Xanthe"
NATIONAL_ID = "ZQX-4417-PRIV"
EMAIL = "zebulon.xanthe@privacy-test.invalid"


def test_representative_flows_leave_no_pii_in_logs_errors_or_metrics(caplog, capsys, client):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger propagates to it at DEBUG
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)
    customer, account, _ = rich_customer(NAME, national_id=NATIONAL_ID, email_like=EMAIL)
    customer_screen(public_id=customer.public_id, source="manual", actor="officer")
    services.subject_export(customer_id=customer.public_id, actor="dpo")

    api = make_client(["customers:read", "customers:write", "accounts:write", "payments:write"], name="leaky")
    bad_customer = api.post(
        "/api/v1/customers",
        {
            "kind": "person",
            "name": NAME,
            "date_of_birth": "not-a-date",
            "residence_country": "DE",
            "national_id": NATIONAL_ID,
            "addresses": [EMAIL],
        },
        format="json",
    )
    assert bad_customer.status_code == 400 and bad_customer.json()["error"]["code"]
    bad_payment = api.post(
        "/api/v1/payments",
        {
            "sender": {"account": account.public_id, "iban": IBAN, "name": NAME},
            "receiver": {"name": NAME},
            "amount": "-1",
            "currency": "EUR",
            "reference": "x",
        },
        format="json",
    )
    assert 400 <= bad_payment.status_code < 500
    metrics = client.get("/metrics").content.decode()
    assert "qenex_" in metrics
    captured = capsys.readouterr()

    haystacks = {
        "logs": caplog.text + "\n".join(json.dumps(getattr(r, "__dict__", {}), default=str) for r in caplog.records),
        "stdout": captured.out,
        "stderr": captured.err,
        "error responses": bad_customer.content.decode() + bad_payment.content.decode(),
        "metrics": metrics,
    }
    assert caplog.records, "the flows log something, so the scan is not vacuous"
    for where, text in haystacks.items():
        for secret in (NAME, "Quarterfield", NATIONAL_ID, EMAIL, IBAN):
            assert secret not in text, f"{secret!r} leaked into {where}"


def test_a_pan_appears_only_as_token_and_last_four_in_exports_and_admin_pages():
    customer, account, _ = rich_customer(NAME, national_id=NATIONAL_ID)
    card, pan = issued_card(account=account)
    data, _ = services.subject_export(customer_id=customer.public_id, actor="dpo")
    page = services.render_html(data)
    assert data["cards"] == [
        {
            "token": card.token,
            "last_four": pan[-4:],
            "scheme": card.scheme,
            "expiry": "12/2030",
            "status": card.status,
            "account": account.public_id,
        }
    ]
    officer = otp_login(Client(), make_staff("officer", superuser=True))
    pages = [
        officer.get("/admin/cards/card/").content.decode(),
        officer.get(f"/admin/cards/card/{card.pk}/change/").content.decode(),
        officer.get("/admin/customers/customer/").content.decode(),
        officer.post(
            "/admin/customers/customer/", {"action": "export_subject", "_selected_action": [customer.pk]}
        ).content.decode(),
    ]
    assert NAME in pages[-1]  # the admin export is the subject's data ...
    for text in (json.dumps(data), page, *pages):
        assert pan not in text and pan[:6] + pan[-4:] not in text  # ... and never the card number

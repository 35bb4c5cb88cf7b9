"""Scenario 1, onboarding, as a worked example on PostgreSQL through the API.

The bank's onboarding app (an API client) creates a customer and uploads her passport; she is screened at once and
rated medium risk for the stated reasons (onboarded online, real estate). Before verification her first account is
refused with ``kyc_not_verified``. A compliance officer (a staff session with a second factor) checks the passport
and verifies her KYC; the account then opens. Every step is in the audit trail, without her PII.
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client

from apps.audit.models import AuditRecord
from tests.conftest import make_client
from tests.customers.conftest import PNG
from tests.staff import make_staff, otp_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
JSON = "application/json"


def test_onboarding_a_customer_from_creation_to_her_first_account(kyc_on, on_postgresql):
    app = make_client(["customers:read", "customers:write", "accounts:read", "accounts:write"], name="onboarding")

    # 1. The app creates the customer: pending, rated, screened.
    created = app.post(
        "/api/v1/customers",
        {
            "kind": "person",
            "name": "Sofia Marquez Delgado",
            "date_of_birth": "1990-06-15",
            "nationality": "ES",
            "residence_country": "ES",
            "addresses": ["Calle Mayor 10, 28013 Madrid"],
            "national_id": "12345678Z",
            "occupation": "estate agent",
            "industry": "real_estate",
            "channel": "online",
            "expected_monthly_amount": "6000.00",
            "expected_currency": "EUR",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    customer = created.json()
    customer_id = customer["id"]
    assert customer["kyc_status"] == "pending"
    assert customer["sanctions_status"] == "clear" and customer["screened_at"]
    assert customer["risk_rating"] == "medium" and customer["risk_score"] == 25
    assert [(r["factor"], r["reason"]) for r in customer["risk_reasons"]] == [
        ("industry", "real estate"),
        ("channel", "onboarded online, not face to face"),
    ]
    assert customer["next_review_on"] == (dt.date.today().replace(year=dt.date.today().year + 2)).isoformat()

    # 2. Her passport is uploaded (pending review).
    expires = (dt.date.today() + dt.timedelta(days=3 * 365)).isoformat()
    passport = app.post(
        f"/api/v1/customers/{customer_id}/documents",
        {
            "doc_type": "passport",
            "number": "PAA123456",
            "issuing_country": "ES",
            "expires_on": expires,
            "content_base64": base64.b64encode(PNG).decode(),
            "content_type": "image/png",
            "file_name": "passport.png",
        },
        format="json",
    )
    assert passport.status_code == 201, passport.content

    # 3. Before verification, no account opens.
    account_body = {"owner_id": customer_id, "account_type": "CHECKING", "currency": "EUR"}
    refused = app.post("/api/v1/accounts", account_body, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "kyc_not_verified"

    # 4. The compliance officer checks the passport and verifies her KYC.
    officer = otp_login(Client(), make_staff("officer", "compliance_officer"))
    checked = officer.post(
        f"/api/v1/customers/{customer_id}/documents/{passport.json()['id']}/verify",
        {"verified": True},
        content_type=JSON,
    )
    assert checked.status_code == 200, checked.content
    verified = officer.post(f"/api/v1/customers/{customer_id}/verify", {}, content_type=JSON)
    assert verified.status_code == 200, verified.content
    assert verified.json()["kyc_status"] == "verified" and verified.json()["kyc_verified_by"] == "officer"

    # 5. Her first account opens.
    opened = app.post("/api/v1/accounts", account_body, format="json")
    assert opened.status_code == 201, opened.content
    assert opened.json()["owner_id"] == customer_id

    # 6. The trail has every step, and none of her identity data.
    actions = list(
        AuditRecord.objects.filter(object_id=customer_id)
        .order_by("occurred_at", "shard_sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "customer.created",
        "customer.sanctions_status_changed",
        "customer.document_uploaded",
        "customer.document_decided",
        "customer.kyc_verified",
    ]
    trail = " ".join(str(r.after) for r in AuditRecord.objects.filter(object_id=customer_id))
    assert "Marquez" not in trail and "12345678Z" not in trail and "1990-06-15" not in trail
    call_command("verify_audit", stdout=io.StringIO())

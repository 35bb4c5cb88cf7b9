"""/api/v1/customers: create, get, list, update, documents, verify; scopes and owner scope enforced."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditRecord
from tests.conftest import make_client

from .conftest import PNG

pytestmark = pytest.mark.django_db

BODY = {
    "kind": "person",
    "name": "Marta Kowalska",
    "date_of_birth": "1979-02-03",
    "nationality": "PL",
    "residence_country": "PL",
    "addresses": ["ul. Dluga 5, 00-001 Warszawa"],
    "national_id": "79020312345",
    "occupation": "architect",
    "industry": "real_estate",
    "channel": "online",
    "products": ["checking"],
    "expected_monthly_amount": "4000.00",
    "expected_currency": "PLN",
}


@pytest.fixture
def client(db):
    return make_client(["customers:read", "customers:write"])


def test_create_get_list_and_update_a_customer(client):
    created = client.post("/api/v1/customers", BODY, format="json")
    assert created.status_code == 201, created.content
    customer = created.json()
    assert customer["kyc_status"] == "pending" and customer["risk_rating"] == "medium"
    assert customer["expected_monthly_amount"] == "4000.00" and customer["products"] == ["CHECKING"]
    assert [r["factor"] for r in customer["risk_reasons"]] == ["industry", "channel"]
    customer_id = customer["id"]
    assert customer_id.startswith("cus_")

    got = client.get(f"/api/v1/customers/{customer_id}").json()
    assert got["name"] == "Marta Kowalska" and got["addresses"] == BODY["addresses"]
    found = client.get("/api/v1/customers", {"name": "marta kowalska"}).json()
    assert [c["id"] for c in found["results"]] == [customer_id]
    assert client.get("/api/v1/customers", {"name": "Marta"}).json()["results"] == []

    changed = client.patch(f"/api/v1/customers/{customer_id}", {"pep": True}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["risk_rating"] == "high" and changed.json()["edd_required"] is True


def test_bad_input_is_a_400_with_a_code_and_creates_nothing(client):
    response = client.post("/api/v1/customers", {**BODY, "residence_country": "P1"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_country"
    response = client.post("/api/v1/customers", {**BODY, "favourite_colour": "red"}, format="json")
    assert response.status_code == 400
    assert client.get("/api/v1/customers").json()["results"] == []


def test_documents_upload_verify_and_kyc_verification(client):
    customer_id = client.post("/api/v1/customers", BODY, format="json").json()["id"]
    refused = client.post(f"/api/v1/customers/{customer_id}/verify", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "identity_document_missing"

    expires = (dt.date.today() + dt.timedelta(days=900)).isoformat()
    uploaded = client.post(
        f"/api/v1/customers/{customer_id}/documents",
        {
            "doc_type": "passport",
            "number": "EA1234567",
            "issuing_country": "PL",
            "expires_on": expires,
            "file": SimpleUploadedFile("passport.png", PNG, content_type="image/png"),
        },
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    document = uploaded.json()
    assert document["status"] == "pending" and document["size"] == len(PNG) and "content" not in document
    proof = client.post(
        f"/api/v1/customers/{customer_id}/documents",
        {
            "doc_type": "proof_of_address",
            "content_base64": base64.b64encode(b"%PDF-1.4 bill").decode(),
            "content_type": "application/pdf",
            "file_name": "bill.pdf",
        },
        format="json",
    )
    assert proof.status_code == 201, proof.content
    listed = client.get(f"/api/v1/customers/{customer_id}/documents").json()
    assert [d["doc_type"] for d in listed] == ["passport", "proof_of_address"]

    decided = client.post(
        f"/api/v1/customers/{customer_id}/documents/{document['id']}/verify", {"verified": True}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["status"] == "verified"
    verified = client.post(f"/api/v1/customers/{customer_id}/verify", {}, format="json")
    assert verified.status_code == 200, verified.content
    assert verified.json()["kyc_status"] == "verified"
    assert AuditRecord.objects.filter(object_id=customer_id, action="customer.kyc_verified").exists()


def test_an_unsupported_file_type_is_refused(client):
    customer_id = client.post("/api/v1/customers", BODY, format="json").json()["id"]
    response = client.post(
        f"/api/v1/customers/{customer_id}/documents",
        {
            "doc_type": "passport",
            "content_base64": base64.b64encode(b"MZ...").decode(),
            "content_type": "application/x-msdownload",
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_content_type"


def test_scopes_and_owner_scope(client):
    customer_id = client.post("/api/v1/customers", BODY, format="json").json()["id"]
    reader = make_client(["customers:read"], name="reader")
    assert reader.get(f"/api/v1/customers/{customer_id}").status_code == 200
    assert reader.post("/api/v1/customers", BODY, format="json").status_code == 403
    other = make_client(["customers:read"], name="scoped", owners=["cus_someoneelse"])
    assert other.get(f"/api/v1/customers/{customer_id}").status_code == 404
    assert other.get("/api/v1/customers").json()["results"] == []
    own = make_client(["customers:read"], name="own", owners=[customer_id])
    assert [c["id"] for c in own.get("/api/v1/customers").json()["results"]] == [customer_id]
    assert make_client(["accounts:read"], name="none").get("/api/v1/customers").status_code == 403

"""Scenario 14, the regulator asks, as a worked example on PostgreSQL through the admin and the API.

A compliance officer exports everything QENEX holds about Greta Lindqvist (the admin action: an HTML page, and
the audit trail records who exported what). Later Greta asks to be erased. The officer records the request; a
second officer approves it (four-eyes). Her account is closed, but AML records must be kept five years after the
relationship ends, so the erasure is scheduled, not executed. Five years on, the daily beat job executes it by
crypto-shredding: her data key is destroyed and every encrypted field of hers reads "[erased]", and each app that
recorded her as a party to money (payments, inbound messages, statement lines, screening) erases those values; no
table then holds her name, IBAN, address or id readable, while the ledger still balances per currency, cached
balances equal postings and the audit chain verifies.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditRecord
from apps.customers.models import Customer
from apps.privacy.models import ErasureRequest, ErasureStatus
from apps.privacy.tasks import execute_due_erasures
from tests.privacy.helpers import (
    IBAN,
    assert_ledger_intact,
    customer_everywhere,
    pii_left_in_database,
    relationship_end,
)
from tests.staff import make_staff, otp_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
JSON = "application/json"


def test_the_regulator_asks_export_then_erasure_when_aml_retention_ends(on_postgresql):
    # Her name and IBAN are in every app that records parties to money: payments, an inbound credit (raw XML),
    # the nostro statement line of that credit, and a cleared screening alert.
    greta, account, _ = customer_everywhere("Greta Lindqvist", national_id="SE-19800101-1234")
    her_pii = ("Greta Lindqvist", IBAN, "Greta Lindqvist street 1", "SE-19800101-1234")
    officer_user = make_staff("officer", "compliance_officer")
    officer = otp_login(Client(), officer_user)
    checker = otp_login(Client(), make_staff("second", "compliance_officer"))

    # 1. The officer exports everything held about her (admin action on the customer).
    page = officer.post("/admin/customers/customer/", {"action": "export_subject", "_selected_action": [greta.pk]})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "Greta Lindqvist" in html and "SE-19800101-1234" in html and account.public_id in html
    exported = AuditRecord.objects.get(action="privacy.subject_exported", object_id=greta.public_id)
    assert exported.actor == "officer" and "Lindqvist" not in json.dumps(exported.after)

    # 2. She leaves the bank: the account is emptied and closed.
    relationship_end(account)

    # 3. Her erasure request is recorded, and a second officer approves it.
    officer.post("/admin/customers/customer/", {"action": "request_erasure", "_selected_action": [greta.pk]})
    erasure = ErasureRequest.objects.get(customer_id=greta.public_id)
    assert erasure.status == ErasureStatus.PENDING_APPROVAL and erasure.approval_id
    assert (
        officer.post(f"/api/v1/approvals/{erasure.approval_id}/approve", {}, content_type=JSON).status_code == 403
    )  # four-eyes
    approved = checker.post(
        f"/api/v1/approvals/{erasure.approval_id}/approve", {"reason": "art. 17"}, content_type=JSON
    )
    assert approved.status_code == 200, approved.content

    # 4. AML retention holds it: scheduled five years after the relationship ended, nothing erased yet.
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.SCHEDULED
    assert erasure.execute_after > timezone.now() + dt.timedelta(days=5 * 365 - 2)
    assert execute_due_erasures() == []
    assert Customer.objects.get(pk=greta.pk).name == "Greta Lindqvist"

    # 5. Five years on, the daily beat job executes it (the task's service, with the clock moved on).
    from apps.privacy.services import erasures_execute_due

    assert erasures_execute_due(now=erasure.execute_after + dt.timedelta(hours=1)) == [erasure.public_id]
    gone = Customer.objects.get(pk=greta.pk)
    assert gone.name == gone.national_id == gone.date_of_birth == "[erased]"
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.EXECUTED

    # 6. No table holds her name, IBAN, address or id readable any more (every row as text, every encrypted
    # column decrypted); the ledger and the audit trail are intact; the trail never held her identity.
    left = pii_left_in_database(*her_pii)
    assert left == [], "\n".join(left)
    assert_ledger_intact()
    trail = json.dumps([[r.before, r.after] for r in AuditRecord.objects.all()])
    assert "Lindqvist" not in trail and "SE-19800101-1234" not in trail
    actions = set(AuditRecord.objects.filter(object_id=greta.public_id).values_list("action", flat=True))
    assert {
        "privacy.erasure_requested",
        "privacy.erasure_scheduled",
        "privacy.erasure_executed",
        "customer.pseudonymised",
    } <= actions

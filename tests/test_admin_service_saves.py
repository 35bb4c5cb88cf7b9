"""Admin forms whose save is a service call: the service's durable transaction runs (no 500 from a nested
atomic block), the row is written once and the audit trail has it."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.audit.models import AuditRecord
from apps.compliance.models import BlockListEntry
from apps.treasury.models import FxLimit
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_compliance_officer_adds_a_block_list_entry_in_the_admin():
    officer = otp_login(Client(), make_staff("blk-officer", "compliance_officer"))
    response = officer.post(
        "/admin/compliance/blocklistentry/add/", {"party_name": "Pierre Dupont", "reason": "fraud ring, report 114"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    entry = BlockListEntry.objects.get()
    assert entry.reason == "fraud ring, report 114"
    assert AuditRecord.objects.filter(object_id=entry.public_id).exists()


def test_an_administrator_sets_an_fx_limit_in_the_admin_and_a_dealer_cannot():
    admin_user = otp_login(Client(), make_staff("fx-admin", "administrator"))
    form = {"kind": "CURRENCY", "counterparty": "", "currency": "EUR", "limit": "250000.00"}
    response = admin_user.post("/admin/treasury/fxlimit/add/", form)
    assert response.status_code == 302, response.content.decode()[:500]
    limit = FxLimit.objects.get()
    assert (limit.kind, limit.currency, limit.limit_minor) == ("CURRENCY", "EUR", 25_000_000)
    assert AuditRecord.objects.filter(action="treasury.fx_limit_set", object_id=str(limit.pk)).exists()
    refused = admin_user.post("/admin/treasury/fxlimit/add/", {**form, "kind": "COUNTERPARTY"})
    assert refused.status_code == 200 and "names the owner id" in refused.content.decode()
    dealer = otp_login(Client(), make_staff("fx-dealer", "dealer"))
    assert dealer.post("/admin/treasury/fxlimit/add/", {**form, "limit": "1"}).status_code == 403
    assert dealer.get("/admin/treasury/fxdeal/").status_code == 200
    assert FxLimit.objects.get().limit_minor == 25_000_000

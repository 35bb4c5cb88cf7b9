"""Drafting FinCEN reports by hand from the filings page: the CTRs of a business day and a customer's FBAR, each one
call of ``apps.compliance.reports.services`` (audited there), for ``compliance.add_amlreport`` only. Bad input or a
refusal (no FBAR due, one exists) re-renders the page with the error and its status and drafts nothing; a draft made
by hand goes through the same four eyes: its drafter may neither be the one to approve it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditRecord
from apps.compliance.aml_models import AmlReport, ReportStatus, ReportType
from tests.compliance.aml.conftest import ledger, new_owner, open_account, rules  # noqa: F401  (fixtures)
from tests.compliance.aml.test_aml_fbar import YEAR, _us_person_with, eur_rate  # noqa: F401  (eur_rate: a fixture)
from tests.portal.test_actions import flash, signed_in

pytestmark = pytest.mark.django_db
CTR_URL = "/compliance/filings/generate/ctr/"
FBAR_URL = "/compliance/filings/generate/fbar/"


@pytest.fixture
def officer():
    return signed_in("co1", "compliance_officer")


@pytest.fixture
def cash_customer(rules, ledger):  # noqa: F811
    account = open_account(new_owner())
    ledger.deposit(account, "12500.00")  # cash over the USD 10,000 threshold today
    return account.owner_id


def test_the_filings_page_offers_both_drafts_to_an_officer(officer):
    page = officer.get("/compliance/filings/").content.decode()
    assert f'action="{CTR_URL}"' in page and f'action="{FBAR_URL}"' in page
    assert 'for="ctr_day"' in page and 'for="fbar_customer"' in page and 'for="fbar_year"' in page
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert f'value="{yesterday}"' in page and f'value="{timezone.localdate().year - 1}"' in page  # the defaults


def test_generating_the_ctrs_of_a_day_drafts_each_once_and_is_audited(cash_customer, officer):
    today = timezone.localdate().isoformat()
    response = officer.post(CTR_URL, {"day": today}, follow=True)
    ctr = AmlReport.objects.get(report_type=ReportType.CTR, owner_id=cash_customer)
    assert response.redirect_chain[-1][0] == "/compliance/filings/?report_type=CTR"
    assert f"CTRs for {today}: drafted {ctr.public_id}." in flash(response)
    assert (ctr.status, ctr.created_by, str(ctr.business_day)) == (ReportStatus.DRAFT, "co1", today)
    record = AuditRecord.objects.get(object_id=ctr.public_id, action="aml.report_generated")
    assert record.actor == "co1"
    again = officer.post(CTR_URL, {"day": today}, follow=True)
    assert "nothing to draft" in flash(again)
    assert AmlReport.objects.filter(report_type=ReportType.CTR).count() == 1


@pytest.mark.parametrize("body", [{}, {"day": "not-a-day"}, {"day": "2999-01-01"}])
def test_bad_ctr_input_is_a_400_on_the_page_and_drafts_nothing(cash_customer, officer, body):
    response = officer.post(CTR_URL, body)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error"' in page and "FinCEN filings" in page
    assert not AmlReport.objects.exists() and not AuditRecord.objects.filter(action="aml.report_generated").exists()


def test_generating_an_fbar_drafts_it_once_and_a_second_one_is_refused(rules, ledger, eur_rate, officer):  # noqa: F811
    customer, euro, dollar = _us_person_with(ledger, "8000.00", "3000.00")  # USD 11,800 in all
    response = officer.post(FBAR_URL, {"customer": customer.public_id, "year": YEAR}, follow=True)
    fbar = AmlReport.objects.get(report_type=ReportType.FBAR, owner_id=customer.public_id)
    assert response.redirect_chain[-1][0] == f"/compliance/filings/{fbar.public_id}/"
    assert f"FBAR {fbar.public_id} for {customer.public_id}, {YEAR}: drafted." in flash(response)
    assert "Valid FBARX" in response.content.decode() and (fbar.created_by, fbar.year) == ("co1", YEAR)
    assert AuditRecord.objects.filter(object_id=fbar.public_id, action="aml.report_generated", actor="co1").exists()
    twice = officer.post(FBAR_URL, {"customer": customer.public_id, "year": YEAR})  # the resubmitted form
    assert twice.status_code == 409 and "Refused (fbar_exists)" in twice.content.decode()
    assert AmlReport.objects.filter(report_type=ReportType.FBAR).count() == 1
    officer.post(f"/compliance/filings/{fbar.public_id}/reject/", {"reason": "drafted with the wrong year"})
    assert officer.post(FBAR_URL, {"customer": customer.public_id, "year": YEAR}).status_code == 302  # again


def test_an_fbar_that_is_not_due_or_bad_input_is_refused_and_drafts_nothing(rules, ledger, eur_rate, officer):  # noqa: F811
    small, _, _ = _us_person_with(ledger, "6000.00", "3400.00")  # USD 10,000.00: not more
    refused = officer.post(FBAR_URL, {"customer": small.public_id, "year": YEAR})
    assert refused.status_code == 422 and "Refused (fbar_not_required)" in refused.content.decode()
    for body in ({"customer": small.public_id, "year": YEAR + 1}, {"customer": "", "year": YEAR},
                 {"customer": small.public_id, "year": "last"}, {"customer": small.public_id, "year": 1900}):
        assert officer.post(FBAR_URL, body).status_code == 400, body
    assert not AmlReport.objects.exists()


def test_the_officer_who_drafted_a_report_cannot_approve_it(rules, ledger, eur_rate, officer):  # noqa: F811
    customer, _, _ = _us_person_with(ledger, "8000.00", "3000.00")
    officer.post(FBAR_URL, {"customer": customer.public_id, "year": YEAR})
    fbar = AmlReport.objects.get(report_type=ReportType.FBAR)
    base = f"/compliance/filings/{fbar.public_id}"
    reviewer = signed_in("co2", "compliance_officer")
    reviewer.post(f"{base}/review/")
    assert "the drafter (co1) cannot approve" in officer.get(f"{base}/").content.decode()
    same = officer.post(f"{base}/approve/", follow=True)
    assert "Refused (same_officer_refused)" in flash(same) and "drafted" in flash(same)
    fbar.refresh_from_db()
    assert fbar.status == ReportStatus.REVIEWED
    signed_in("co3", "compliance_officer").post(f"{base}/approve/")
    fbar.refresh_from_db()
    assert (fbar.status, fbar.created_by, fbar.reviewed_by, fbar.approved_by) == (
        ReportStatus.APPROVED, "co1", "co2", "co3")


def test_only_a_role_that_drafts_reports_sees_or_uses_the_buttons(cash_customer):
    today = timezone.localdate().isoformat()
    auditor = signed_in("aud1", "auditor")
    page = auditor.get("/compliance/filings/").content.decode()
    assert "Generate CTRs" not in page and "Generate FBAR" not in page
    for username, role in (("aud2", "auditor"), ("teller1", "teller"), ("ops1", "operations")):
        client = signed_in(username, role)
        assert client.post(CTR_URL, {"day": today}).status_code == 403, role
        assert client.post(FBAR_URL, {"customer": cash_customer, "year": YEAR}).status_code == 403, role
    assert signed_in("co1", "compliance_officer").get(CTR_URL).status_code == 405  # drafting is a POST
    assert not AmlReport.objects.exists()

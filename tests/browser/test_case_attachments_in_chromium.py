"""Attaching a file to an AML case in Chromium, through the real ASGI server: the browser's own multipart body and
CSRF token reach the upload view (which reads the body with its size limit in place), the file is listed on the
case and downloads unchanged; a file of the wrong type comes back as the case page with the error (415) and
nothing listed. No console error, no serious or critical axe-core violation on the page with the error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.compliance.aml_models import AmlCase, CaseAttachment, Severity
from tests.browser.test_portal_in_chromium import browser  # noqa: F401  (the shared Chromium fixture)
from tests.browser.test_portal_live_in_chromium import SCREENSHOTS, _axe_violations, context, sign_in  # noqa: F401
from tests.compliance.aml.conftest import ledger, new_owner, open_account, rules  # noqa: F401  (fixtures)
from tests.staff import enrol_totp, make_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def test_an_officer_attaches_a_scan_and_a_wrong_file_is_refused_on_the_page(context, rules, ledger, tmp_path):  # noqa: F811
    rules("structuring", min_count=2, window_days=3, severity=Severity.MEDIUM)
    account = open_account(new_owner())
    ledger.deposit(account, "9500.00")
    ledger.deposit(account, "9600.00")
    case = AmlCase.objects.get(owner_id=account.owner_id)
    officer = make_staff("officer1", "compliance_officer")
    totp = enrol_totp(officer)
    scan = tmp_path / "Scan of the receipt (1).pdf"
    scan.write_bytes(PDF)
    program = tmp_path / "invoice.pdf"
    program.write_bytes(b"MZ\x90\x00 not a PDF at all")
    page = context.new_page()
    sign_in(page, "officer1", totp)
    page.goto(f"/compliance/aml/cases/{case.public_id}/")

    page.set_input_files("#attach_file", str(scan))
    page.click("form:has(#attach_file) button[type=submit]")
    page.wait_for_url(f"**/compliance/aml/cases/{case.public_id}/")
    assert "Scan of the receipt_1.pdf attached" in page.locator(".messages").inner_text()
    attachment = CaseAttachment.objects.get(case=case)
    link = page.locator(".attachments a", has_text="Scan of the receipt_1.pdf")
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == PDF and attachment.size == len(PDF)

    refused = []
    context.on("response", lambda r: r.status == 415 and refused.append(r.url))
    page.set_input_files("#attach_file", str(program))
    page.click("form:has(#attach_file) button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert refused == [page.url]
    error = page.locator("form:has(#attach_file) .error").inner_text()
    assert "Refused (attachment_type_refused)" in error and "not PDF" in error
    assert page.locator(".attachments li").count() == 1 and CaseAttachment.objects.count() == 1
    assert _axe_violations(page) == []
    folder = Path(SCREENSHOTS or "/tmp")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "case-attachment-refused.png"), full_page=True)
    expected = ("HTTP 415", "console: Failed to load resource: the server responded with a status of 415")
    context.problems[:] = [p for p in context.problems if not p.startswith(expected)]  # the refusal itself
    assert context.problems == []

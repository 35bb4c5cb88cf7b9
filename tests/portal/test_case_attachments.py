"""Attaching evidence to an AML case from its page: the file is stored through Django's storage (the attachments'
own), its type checked by its bytes, its size limited while the upload is read, its name sanitised; the upload is
audited and listed on the case, for download. A bad upload (too big, wrong type, empty, none) is a clear error on
the case page with a 4xx status and changes nothing: no row, no file, no history, no audit record.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.audit.models import AuditRecord
from apps.compliance.aml_models import CaseAttachment
from apps.compliance.cases import services as cases
from tests.compliance.aml.conftest import ledger, rules  # noqa: F401  (fixtures)
from tests.portal.test_actions import flash, signed_in
from tests.portal.test_aml_pages import case, officer  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _storage():
    return CaseAttachment._meta.get_field("file").storage


def _stored_files() -> set[str]:
    found, storage = set(), _storage()
    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        found |= {f"{folder}/{f}".lstrip("/") for f in files}
        pending += [f"{folder}/{d}".lstrip("/") for d in dirs]
    return found


@pytest.fixture(autouse=True)
def stored():
    """The files in the attachments' storage before the test; what the test added is removed after it."""
    before = _stored_files()
    yield before
    for name in _stored_files() - before:
        _storage().delete(name)


def _attach(client, case, name: str, content: bytes, content_type: str = "application/pdf"):  # noqa: F811
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(f"/compliance/aml/cases/{case.public_id}/attach/", {"file": upload})


def _nothing_changed(case, stored) -> None:  # noqa: F811
    assert not CaseAttachment.objects.exists()
    assert not case.events.filter(action="attachment_added").exists()
    assert not AuditRecord.objects.filter(action="aml.case_attachment_added").exists()
    assert _stored_files() == stored


def test_a_scan_is_attached_with_its_name_sanitised_audited_listed_and_downloadable(case, officer, stored):  # noqa: F811
    page = officer.get(f"/compliance/aml/cases/{case.public_id}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'for="attach_file"' in page and "No attachment." in page
    response = _attach(officer, case, "../../C:\\scans\\Kontoauszug März (1).PDF", PDF)
    assert response.status_code == 302
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.name == "Kontoauszug Marz_1.pdf" and attachment.size == len(PDF)
    assert attachment.uploaded_by == "co1"
    assert "/" not in attachment.file.name.removeprefix("cases/").split("/", 2)[-1]  # in cases/YYYY/MM/, no deeper
    assert _stored_files() - stored == {attachment.file.name}
    with attachment.file.open("rb") as f:
        assert f.read() == PDF
    record = AuditRecord.objects.get(action="aml.case_attachment_added", object_id=case.public_id)
    assert record.actor == "co1" and record.after["sha256"] == attachment.sha256 and record.after["size"] == len(PDF)
    assert case.events.get(action="attachment_added").details["name"] == "Kontoauszug Marz_1.pdf"
    shown = officer.get(f"/compliance/aml/cases/{case.public_id}/")
    assert "Kontoauszug Marz_1.pdf attached" in flash(shown)
    link = f"/compliance/aml/cases/{case.public_id}/attachments/{attachment.pk}/"
    assert f'href="{link}"' in shown.content.decode()
    download = officer.get(link)
    assert download.status_code == 200 and download.content == PDF
    read = AuditRecord.objects.get(action="aml.case_attachment_downloaded", object_id=case.public_id)
    assert read.actor == "co1" and read.after == {"attachment": attachment.pk, "sha256": attachment.sha256}
    assert download["Content-Disposition"] == 'attachment; filename="Kontoauszug Marz_1.pdf"'
    assert download["Content-Type"] == "application/octet-stream" and download["X-Content-Type-Options"] == "nosniff"
    assert _attach(officer, case, "photo.png", PNG, "image/png").status_code == 302  # another allowed type
    assert list(case.attachments.values_list("name", flat=True)) == ["Kontoauszug Marz_1.pdf", "photo.png"]


def test_a_file_over_10_mb_is_refused_with_413_and_nothing_is_stored(case, officer, stored):  # noqa: F811
    big = PDF + b"0" * (cases.MAX_ATTACHMENT_BYTES - len(PDF) + 1)
    response = _attach(officer, case, "statement.pdf", big)
    assert response.status_code == 413
    page = response.content.decode()
    assert "Refused (too_large)" in page and "at most 10 MB" in page and 'class="error"' in page
    _nothing_changed(case, stored)
    far_over = _attach(officer, case, "statement.pdf", big + b"0" * (2 * 1024 * 1024))  # past the upload's allowance
    assert far_over.status_code == 413 and far_over.json()["error"]["code"] == "request_too_large"
    elsewhere = officer.post(f"/compliance/aml/cases/{case.public_id}/note/",
                             {"text": "x", "file": SimpleUploadedFile("a.pdf", PDF + b"0" * (2 * 1024 * 1024))})
    assert elsewhere.status_code == 413  # other views keep the site-wide body limit
    _nothing_changed(case, stored)
    assert not case.notes.exists()
    exactly = PDF + b"0" * (cases.MAX_ATTACHMENT_BYTES - len(PDF))
    assert _attach(officer, case, "statement.pdf", exactly).status_code == 302  # the limit itself is allowed
    assert CaseAttachment.objects.get().size == cases.MAX_ATTACHMENT_BYTES


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("payload.exe", b"MZ\x90\x00" + b"\x00" * 60, "not exe"),
        ("invoice.html", b"<script>alert(1)</script>", "not html"),
        ("no-extension", PDF, "not no extension"),
        ("fake.pdf", b"MZ\x90\x00 this is a program", "contents are not PDF"),
        ("photo.png", PDF, "contents are not PNG"),
        ("notes.txt", b"\xff\xfe\x00b\x00i\x00n", "contents are not TXT"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_with_415_and_nothing_is_stored(case, officer, stored, name, content, says):  # noqa: F811
    response = _attach(officer, case, name, content, "application/pdf")  # the browser's content type is not trusted
    assert response.status_code == 415
    page = response.content.decode()
    assert "Refused (attachment_type_refused)" in page and says in page
    _nothing_changed(case, stored)


def test_an_empty_upload_or_none_is_a_400_and_nothing_is_stored(case, officer, stored):  # noqa: F811
    empty = _attach(officer, case, "empty.pdf", b"")
    assert empty.status_code == 400 and "Refused (attachment_empty)" in empty.content.decode()
    none = officer.post(f"/compliance/aml/cases/{case.public_id}/attach/", {})
    assert none.status_code == 400 and 'class="error"' in none.content.decode()
    assert officer.post("/compliance/aml/cases/amc_missing/attach/", {"file": SimpleUploadedFile("a.pdf", PDF)}
                        ).status_code == 404
    _nothing_changed(case, stored)


def test_only_a_case_worker_attaches_an_auditor_downloads_and_a_teller_sees_nothing(case, officer, stored):  # noqa: F811
    auditor, teller = signed_in("aud1", "auditor"), signed_in("teller1", "teller")
    assert "Attach a file" not in auditor.get(f"/compliance/aml/cases/{case.public_id}/").content.decode()
    for client in (auditor, teller):
        assert _attach(client, case, "evidence.pdf", PDF).status_code == 403
    _nothing_changed(case, stored)
    _attach(officer, case, "evidence.pdf", PDF)
    attachment = CaseAttachment.objects.get()
    link = f"/compliance/aml/cases/{case.public_id}/attachments/{attachment.pk}/"
    assert auditor.get(link).status_code == 200
    assert teller.get(link).status_code == 403
    assert officer.get(f"/compliance/aml/cases/{case.public_id}/attachments/{attachment.pk + 1}/").status_code == 404
    assert officer.get(f"/compliance/aml/cases/amc_other/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize("damage", ["deleted", "altered"])
def test_a_file_gone_or_altered_in_the_storage_is_refused_not_given_out(case, officer, stored, damage, caplog):  # noqa: F811
    _attach(officer, case, "evidence.pdf", PDF)
    attachment = CaseAttachment.objects.get()
    _storage().delete(attachment.file.name)
    if damage == "altered":
        _storage().save(attachment.file.name, ContentFile(PDF.replace(b"Catalog", b"Katalog")))
    link = f"/compliance/aml/cases/{case.public_id}/attachments/{attachment.pk}/"
    refused = officer.get(link)
    assert refused.status_code == 302 and refused["Location"] == f"/compliance/aml/cases/{case.public_id}/"
    assert "Refused (attachment_unavailable)" in flash(officer.get(refused["Location"]))
    record = AuditRecord.objects.get(action="aml.case_attachment_unavailable", object_id=case.public_id)
    expected = "missing" if damage == "deleted" else "digest mismatch"
    assert record.actor == "co1" and expected in record.after["problem"]
    assert not AuditRecord.objects.filter(action="aml.case_attachment_downloaded").exists()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"case {case.public_id} attachment {attachment.pk}: {record.after['problem']}"]


def test_the_upload_needs_the_csrf_token(case, officer, stored):  # noqa: F811
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = officer.cookies  # the officer's session, from a browser that sends no token
    assert "Work the case" in strict.get(f"/compliance/aml/cases/{case.public_id}/").content.decode()
    assert _attach(strict, case, "evidence.pdf", PDF).status_code == 403
    _nothing_changed(case, stored)


@pytest.mark.parametrize(
    ("given", "stored_as"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\Scan 2026 (1).PDF", "Scan 2026_1.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("<b>x</b>.png", "b.png"),
        ("файл.pdf", "attachment.pdf"),
        ("ＦＵＬＬ.pdf", "FULL.pdf"),
        ("a\x00b\r\n.pdf", "a_b.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_attachment_names_are_sanitised(given, stored_as):
    assert cases.attachment_name(given) == stored_as

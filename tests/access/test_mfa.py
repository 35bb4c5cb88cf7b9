"""Staff MFA: a password alone reaches nothing but the OTP pages; codes are single-use; backup codes work once."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.access.services import mfa_backup_codes_issue
from tests.factories import funded_account
from tests.staff import enrol_totp, make_staff, otp_login, password_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return make_staff("officer", superuser=True)


def test_password_only_session_cannot_reach_portal_admin_or_api(client, officer):
    enrol_totp(officer)
    acc = funded_account("10.00")
    assert password_login(client, "officer").status_code == 302
    portal = client.get("/")
    assert portal.status_code == 302 and portal["Location"].startswith("/mfa/verify/")
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/mfa/verify/")
    assert client.get(f"/api/v1/accounts/{acc.public_id}").status_code in (401, 403)


def test_password_only_session_without_device_is_sent_to_enrolment(client, officer):
    password_login(client, "officer")
    response = client.get("/accounts/x/")
    assert response.status_code == 302 and response["Location"].startswith("/mfa/enrol/")
    assert client.get("/admin/").status_code == 302


def test_valid_code_opens_portal_admin_and_session_api(client, officer):
    acc = funded_account("10.00")
    otp_login(client, officer)
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/api/v1/accounts/{acc.public_id}").json()["balance"] == "10.00"


def test_replayed_code_is_refused(officer):
    totp = enrol_totp(officer)
    first, second = Client(), Client()
    password_login(first, "officer")
    code = totp.now()
    assert first.post("/mfa/verify/", {"token": code}).status_code == 302
    password_login(second, "officer")
    response = second.post("/mfa/verify/", {"token": code})
    assert response.status_code == 200 and b"not valid" in response.content
    assert second.get("/").status_code == 302


def test_wrong_code_is_refused(client, officer):
    totp = enrol_totp(officer)
    password_login(client, "officer")
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    response = client.post("/mfa/verify/", {"token": wrong})
    assert response.status_code == 200 and b"not valid" in response.content
    assert client.get("/").status_code == 302


def test_backup_code_works_once(officer):
    enrol_totp(officer)
    codes = mfa_backup_codes_issue(user=officer)
    first, second = Client(), Client()
    password_login(first, "officer")
    assert first.post("/mfa/verify/", {"token": codes[0]}).status_code == 302
    assert first.get("/").status_code == 200
    password_login(second, "officer")
    assert second.post("/mfa/verify/", {"token": codes[0]}).status_code == 200
    assert second.get("/").status_code == 302


def test_enrolment_shows_a_local_qr_code_then_confirms_and_issues_backup_codes(client, officer):
    password_login(client, "officer")
    page = client.get("/mfa/enrol/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html and "http" not in re.sub(r"https?://www\.w3\.org", "", html)
    secret = re.search(r"<code>([A-Z2-7=]+)</code>", html).group(1)
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    done = client.post("/mfa/enrol/", {"token": pyotp.TOTP(secret).now(), "next": "/"})
    assert done.status_code == 200 and b"backup codes" in done.content.lower()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200


def test_enrolment_with_a_wrong_code_stays_unconfirmed(client, officer):
    password_login(client, "officer")
    client.get("/mfa/enrol/")
    response = client.post("/mfa/enrol/", {"token": "000000"})
    assert response.status_code == 200 and b"not valid" in response.content
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    assert client.get("/").status_code == 302


def test_enrolled_user_cannot_enrol_a_second_device_without_verifying(client, officer):
    enrol_totp(officer)
    password_login(client, "officer")
    response = client.get("/mfa/enrol/")
    assert response.status_code == 302 and response["Location"].startswith("/mfa/verify/")


def test_api_keys_are_unaffected_by_mfa(api):
    assert api.get("/api/v1/accounts").status_code == 200


def test_admin_login_page_redirects_to_the_portal_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")

"""Session expiry (sliding window from the configured timeout) and the portal's Content-Security-Policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    return otp_login(client, make_staff("officer", superuser=True))


def test_session_age_comes_from_the_security_config():
    assert settings.SESSION_COOKIE_AGE == settings.QENEX["security"]["session_timeout_minutes"] * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_each_request_slides_the_expiry(staff_client):
    session = Session.objects.get(session_key=staff_client.session.session_key)
    session.expire_date = timezone.now() + timedelta(seconds=30)
    session.save()
    assert staff_client.get("/").status_code == 200
    session.refresh_from_db()
    assert session.expire_date > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_an_expired_session_must_sign_in_again(staff_client):
    Session.objects.filter(session_key=staff_client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = staff_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_portal_pages_carry_a_strict_csp(staff_client, client):
    policy = staff_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "Content-Security-Policy" in client.get("/login/")


def test_portal_templates_have_no_inline_scripts_or_styles(staff_client):
    html = staff_client.get("/").content.decode()
    assert "<script>" not in html and "style=" not in html and "onclick" not in html


def test_api_responses_are_left_alone(api):
    assert "Content-Security-Policy" not in api.get("/api/v1/accounts")

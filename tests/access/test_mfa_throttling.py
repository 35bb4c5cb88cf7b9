"""django-otp's back-off after a wrong code: the user is told to wait, not that a right code is wrong."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.access.services import mfa_verify
from tests.audit.trail import last_sequence, records_since
from tests.staff import enrol_totp, make_staff, password_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30  # back-off of 30 s, 60 s, ...: no race with the test's own speed
    return make_staff("officer", "teller")


def wrong_code(totp: pyotp.TOTP) -> str:
    return f"{(int(totp.now()) + 1) % 1_000_000:06d}"


def test_a_right_code_during_the_back_off_is_refused_with_the_time_to_wait(client, officer):
    totp = enrol_totp(officer)
    password_login(client, "officer")
    first = client.post("/mfa/verify/", {"token": wrong_code(totp)})
    assert b"That code is not valid" in first.content
    mark = last_sequence()
    response = client.post("/mfa/verify/", {"token": totp.now()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Too many attempts: wait 30 seconds and try again." in html and "not valid" not in html
    assert client.get("/").status_code == 302  # still not verified
    (record,) = records_since(mark)
    assert record.action == "access.mfa_verification_failed"
    assert record.after == {"username": "officer", "stage": "verify", "reason": "throttled", "wait_seconds": 30}


def test_the_refusal_does_not_extend_the_back_off_and_the_code_works_after_it(client, officer):
    totp = enrol_totp(officer)
    password_login(client, "officer")
    client.post("/mfa/verify/", {"token": wrong_code(totp)})
    client.post("/mfa/verify/", {"token": totp.now()})  # refused unchecked: not another failure
    device = TOTPDevice.objects.get(user=officer)
    assert device.throttling_failure_count == 1
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=31))
    assert client.post("/mfa/verify/", {"token": totp.now()}).status_code == 302
    assert client.get("/").status_code == 200


def test_the_wait_grows_with_consecutive_failures(officer):
    totp = enrol_totp(officer)
    device = TOTPDevice.objects.get(user=officer)
    assert mfa_verify(user=officer, token=wrong_code(totp)).wait_seconds == 0  # checked, and wrong
    assert mfa_verify(user=officer, token=totp.now()).wait_seconds == 30
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=31))
    assert mfa_verify(user=officer, token=wrong_code(totp)).wait_seconds == 0
    assert mfa_verify(user=officer, token=totp.now()).wait_seconds == 60


def test_a_one_second_wait_is_singular():
    from apps.access.views import _throttled_message

    assert _throttled_message(1) == "Too many attempts: wait 1 second and try again."
    assert _throttled_message(2) == "Too many attempts: wait 2 seconds and try again."


def test_enrolment_during_the_back_off_tells_the_user_to_wait(client, officer):
    password_login(client, "officer")
    page = client.get("/mfa/enrol/").content.decode()
    totp = pyotp.TOTP(re.search(r"<code>([A-Z2-7=]+)</code>", page).group(1))
    assert b"not valid" in client.post("/mfa/enrol/", {"token": wrong_code(totp)}).content
    response = client.post("/mfa/enrol/", {"token": totp.now()})
    assert b"Too many attempts: wait 30 seconds and try again." in response.content
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    TOTPDevice.objects.filter(user=officer).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=31))
    done = client.post("/mfa/enrol/", {"token": totp.now(), "next": "/"})
    assert done.status_code == 200 and b"backup codes" in done.content.lower()

"""Security keys (WebAuthn, django-otp-webauthn) as a second factor, server side, with a software authenticator.

A key is registered only by the signed-in user, for themselves, from a verified session (or as the first
authenticator at enrolment); an assertion opens the session only with the user's own key, a fresh challenge
and a valid signature.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client, override_settings
from django_otp_webauthn.models import WebAuthnCredential

from apps.access.models import AccessEvent, AccessEventKind
from apps.access.selectors import mfa_is_enrolled
from apps.access.webauthn_app import webauthn_relying_party_configured
from apps.audit.models import AuditRecord
from tests.staff import enrol_totp, make_staff, otp_login, password_login

from .software_authenticator import SoftwareAuthenticator, b64url

pytestmark = pytest.mark.django_db

ORIGIN = "http://localhost:8000"
REGISTER_BEGIN, REGISTER_COMPLETE = "/mfa/webauthn/registration/begin/", "/mfa/webauthn/registration/complete/"
AUTH_BEGIN, AUTH_COMPLETE = "/mfa/webauthn/authentication/begin/", "/mfa/webauthn/authentication/complete/"


@pytest.fixture(autouse=True)
def relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_RP_NAME = "QENEX"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def post_json(client: Client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def register_key(client: Client, key: SoftwareAuthenticator):
    begin = post_json(client, REGISTER_BEGIN)
    assert begin.status_code == 200, begin.content
    return post_json(client, REGISTER_COMPLETE, key.register(begin.json()))


def staff_with_key(username: str) -> tuple:
    """A staff user with an authenticator app and a registered key; returns (user, key)."""
    user = make_staff(username, role="teller")
    client = otp_login(Client(), user)
    key = SoftwareAuthenticator(origin=ORIGIN)
    assert register_key(client, key).status_code == 200
    return user, key


def test_registration_options_name_the_configured_relying_party_and_the_signed_in_user(client):
    user = make_staff("teller1", role="teller")
    otp_login(client, user)
    options = post_json(client, REGISTER_BEGIN, {"user": "someone-else"}).json()
    assert options["rp"] == {"id": "localhost", "name": "QENEX"}
    assert options["user"]["name"] == "teller1"


def test_anonymous_caller_can_neither_register_nor_authenticate(client):
    assert post_json(client, REGISTER_BEGIN).status_code == 403
    assert post_json(client, REGISTER_COMPLETE, {}).status_code == 403
    assert post_json(client, AUTH_BEGIN).status_code == 403  # no passwordless sign-in
    assert post_json(client, AUTH_COMPLETE, {}).status_code == 403
    assert client.get("/mfa/keys/").status_code == 302


def test_password_only_session_of_an_enrolled_user_cannot_register_a_key(client):
    user = make_staff("teller1", role="teller")
    enrol_totp(user)
    password_login(client, "teller1")
    response = post_json(client, REGISTER_BEGIN)
    assert response.status_code == 403 and response.json()["code"] == "user_not_verified"
    assert client.get("/mfa/keys/").status_code == 302  # the keys page needs a verified session


def test_a_key_is_registered_for_the_session_user_only():
    alice, bob = make_staff("alice", role="teller"), make_staff("bob", role="teller")
    alice_client, bob_client = otp_login(Client(), alice), otp_login(Client(), bob)
    key = SoftwareAuthenticator(origin=ORIGIN)
    alice_options = post_json(alice_client, REGISTER_BEGIN).json()
    post_json(bob_client, REGISTER_BEGIN)
    # Alice's attestation posted in Bob's session: it answers Alice's challenge, not Bob's.
    refused = post_json(bob_client, REGISTER_COMPLETE, key.register(alice_options))
    assert refused.status_code == 422
    assert not WebAuthnCredential.objects.filter(user=bob).exists()
    assert post_json(alice_client, REGISTER_COMPLETE, key.register(alice_options)).status_code == 200
    assert list(WebAuthnCredential.objects.values_list("user__username", flat=True)) == ["alice"]


def test_registration_is_recorded_and_shown_on_the_keys_page(client):
    user = make_staff("teller1", role="teller")
    otp_login(client, user)
    assert register_key(client, SoftwareAuthenticator(origin=ORIGIN)).status_code == 200
    event = AccessEvent.objects.filter(user=user, kind=AccessEventKind.MFA_ENROLLED).latest("id")
    assert event.detail["device_type"] == "security_key" and event.detail["first_authenticator"] is False
    assert AuditRecord.objects.filter(action="access.mfa_enrolled", object_id=str(user.pk)).exists()
    page = client.get("/mfa/keys/")
    assert page.status_code == 200 and b"Security key #" in page.content
    assert b"js/security-keys.js" in page.content and b"<script>" not in page.content
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_signing_in_with_a_key_verifies_the_session():
    user, key = staff_with_key("teller1")
    client = Client()
    password_login(client, "teller1")
    verify_page = client.get("/mfa/verify/?next=/")
    assert b"Use security key" in verify_page.content
    options = post_json(client, AUTH_BEGIN).json()
    assert options["rpId"] == "localhost"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(key.credential_id)]
    response = post_json(client, AUTH_COMPLETE, key.assert_(options))
    assert response.status_code == 200, response.content
    assert client.get("/").status_code == 200
    event = AccessEvent.objects.filter(user=user).latest("id")
    assert event.kind == AccessEventKind.OTP_VERIFIED and event.detail["device_type"] == "security_key"


def test_a_new_user_can_enrol_with_a_key_instead_of_an_authenticator_app(client):
    user = make_staff("teller1", role="teller")
    password_login(client, "teller1")
    assert not mfa_is_enrolled(user=user)
    enrol_page = client.get("/mfa/enrol/")
    assert b"Register a security key instead" in enrol_page.content
    assert register_key(client, SoftwareAuthenticator(origin=ORIGIN)).status_code == 200
    assert mfa_is_enrolled(user=user)
    assert client.get("/").status_code == 200  # the new key verified the session
    event = AccessEvent.objects.filter(user=user, kind=AccessEventKind.MFA_ENROLLED).latest("id")
    assert event.detail["first_authenticator"] is True


def test_mfa_is_enrolled_counts_confirmed_keys_only():
    user, _ = staff_with_key("teller1")
    user.totpdevice_set.all().delete()
    assert mfa_is_enrolled(user=user)
    WebAuthnCredential.objects.filter(user=user).update(confirmed=False)
    assert not mfa_is_enrolled(user=user)


def test_another_users_key_is_refused():
    _, alice_key = staff_with_key("alice")
    bob, _ = staff_with_key("bob")
    client = Client()
    password_login(client, "bob")
    options = post_json(client, AUTH_BEGIN).json()
    response = post_json(client, AUTH_COMPLETE, alice_key.assert_(options))
    assert response.status_code == 403 and response.json()["code"] == "credential_user_mismatch"
    assert client.get("/").status_code == 302  # still only password-signed-in
    event = AccessEvent.objects.filter(user=bob).latest("id")
    assert event.kind == AccessEventKind.OTP_FAILED and event.detail["reason"] == "credential_user_mismatch"


def test_a_replayed_assertion_is_refused():
    _, key = staff_with_key("teller1")
    first = Client()
    password_login(first, "teller1")
    assertion = key.assert_(post_json(first, AUTH_BEGIN).json())
    assert post_json(first, AUTH_COMPLETE, assertion).status_code == 200
    second = Client()
    password_login(second, "teller1")
    assert post_json(second, AUTH_COMPLETE, assertion).status_code == 400  # no challenge issued to this session
    post_json(second, AUTH_BEGIN)
    assert post_json(second, AUTH_COMPLETE, assertion).status_code == 422  # the old challenge is not the new one
    assert second.get("/").status_code == 302


def test_a_tampered_assertion_is_refused():
    _, key = staff_with_key("teller1")
    client = Client()
    password_login(client, "teller1")
    assertion = key.assert_(post_json(client, AUTH_BEGIN).json())
    signature = bytearray(base64.urlsafe_b64decode(assertion["response"]["signature"] + "=="))
    signature[-1] ^= 0x01
    assertion["response"]["signature"] = b64url(bytes(signature))
    assert post_json(client, AUTH_COMPLETE, assertion).status_code == 422
    assert client.get("/").status_code == 302


def test_a_key_answering_for_another_origin_is_refused():
    _, key = staff_with_key("teller1")
    key.origin = "http://localhost.evil.example"
    client = Client()
    password_login(client, "teller1")
    assert post_json(client, AUTH_COMPLETE, key.assert_(post_json(client, AUTH_BEGIN).json())).status_code == 422
    assert client.get("/").status_code == 302


def test_a_key_can_be_removed_but_not_the_last_authenticator():
    user, key = staff_with_key("teller1")
    client = Client()
    password_login(client, "teller1")
    assert post_json(client, AUTH_COMPLETE, key.assert_(post_json(client, AUTH_BEGIN).json())).status_code == 200
    credential = WebAuthnCredential.objects.get(user=user)
    user.totpdevice_set.all().delete()  # the key is now the only authenticator
    refused = client.post(f"/mfa/keys/{credential.pk}/remove/")
    assert refused.status_code == 409 and WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    enrol_totp(user)
    assert client.post(f"/mfa/keys/{credential.pk}/remove/").status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    assert AuditRecord.objects.filter(action="access.mfa_device_removed", object_id=str(user.pk)).exists()


def test_a_user_cannot_remove_someone_elses_key():
    _, _ = staff_with_key("alice")
    bob = make_staff("bob", role="teller")
    client = otp_login(Client(), bob)
    alice_key = WebAuthnCredential.objects.get(user__username="alice")
    assert client.post(f"/mfa/keys/{alice_key.pk}/remove/").status_code == 404
    assert WebAuthnCredential.objects.filter(pk=alice_key.pk).exists()


def test_production_requires_an_explicit_relying_party():
    with override_settings(PRODUCTION=True, OTP_WEBAUTHN_RP_ID="", OTP_WEBAUTHN_ALLOWED_ORIGINS=[]):
        ids = {e.id for e in webauthn_relying_party_configured(None)}
    assert ids == {"qenex_access.E101", "qenex_access.E102"}
    with override_settings(
        PRODUCTION=True, OTP_WEBAUTHN_RP_ID="bank.example", OTP_WEBAUTHN_ALLOWED_ORIGINS=["https://evil.example"]
    ):
        assert [e.id for e in webauthn_relying_party_configured(None)] == ["qenex_access.E103"]
    with override_settings(
        PRODUCTION=True, OTP_WEBAUTHN_RP_ID="bank.example", OTP_WEBAUTHN_ALLOWED_ORIGINS=["https://portal.bank.example"]
    ):
        assert webauthn_relying_party_configured(None) == []

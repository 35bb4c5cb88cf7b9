"""Security-key URLs (see ``views_webauthn``). ``/mfa/webauthn/`` is open to password-only sessions."""

from django.urls import path

from . import views_webauthn as views

urlpatterns = [
    path("mfa/keys/", views.security_keys_page, name="mfa-keys"),
    path("mfa/keys/<int:credential_id>/remove/", views.security_key_remove, name="mfa-key-remove"),
    path(
        "mfa/webauthn/registration/begin/",
        views.SecurityKeyRegistrationBegin.as_view(),
        name="mfa-webauthn-registration-begin",
    ),
    path(
        "mfa/webauthn/registration/complete/",
        views.SecurityKeyRegistrationComplete.as_view(),
        name="mfa-webauthn-registration-complete",
    ),
    path(
        "mfa/webauthn/authentication/begin/",
        views.SecurityKeyAuthenticationBegin.as_view(),
        name="mfa-webauthn-authentication-begin",
    ),
    path(
        "mfa/webauthn/authentication/complete/",
        views.SecurityKeyAuthenticationComplete.as_view(),
        name="mfa-webauthn-authentication-complete",
    ),
]

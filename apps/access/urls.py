from django.urls import include, path

from . import views

urlpatterns = [
    path("mfa/verify/", views.mfa_verify, name="mfa-verify"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa-enrol"),
    path("", include("apps.access.urls_webauthn")),  # security keys: /mfa/keys/, /mfa/webauthn/
]

from django.urls import path

from . import views

urlpatterns = [
    path("mfa/verify/", views.mfa_verify, name="mfa-verify"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa-enrol"),
]

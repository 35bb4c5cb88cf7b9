from django.contrib.auth import views as auth_views
from django.urls import include, path

from apps.access.views import StaffLoginView
from apps.approvals import portal as approvals

from . import views

urlpatterns = [
    path("", views.dashboard, name="portal-dashboard"),
    path("accounts/<str:account_id>/", views.account_detail, name="portal-account"),
    path("approvals/", approvals.approval_queue, name="portal-approvals"),
    path("approvals/<str:approval_id>/", approvals.approval_detail, name="portal-approval"),
    path(
        "approvals/<str:approval_id>/approve/",
        approvals.approval_decide,
        {"decision": "approve"},
        name="portal-approval-approve",
    ),
    path(
        "approvals/<str:approval_id>/reject/",
        approvals.approval_decide,
        {"decision": "reject"},
        name="portal-approval-reject",
    ),
    path("login/", StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("apps.access.urls")),
]

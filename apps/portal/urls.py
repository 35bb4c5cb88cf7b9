from django.contrib.auth import views as auth_views
from django.urls import include, path

from apps.access.views import StaffLoginView
from apps.approvals import portal as approvals

from . import aml, cards, compliance, dealing, filings, inbound, payments, reconciliation, screening_decisions, views

urlpatterns = [
    path("", views.dashboard, name="portal-dashboard"),
    path("accounts/", views.account_list, name="portal-accounts"),
    path("accounts/<str:account_id>/", views.account_detail, name="portal-account"),
    path("accounts/<str:account_id>/live/", views.account_live, name="portal-account-live"),
    path("accounts/<str:account_id>/statement.csv", views.account_statement_csv, name="portal-account-csv"),
    path("accounts/<str:account_id>/transfer/", views.account_transfer, name="portal-account-transfer"),
    path("accounts/<str:account_id>/deposit/", views.account_deposit, name="portal-account-deposit"),
    path("accounts/<str:account_id>/hold/", views.account_hold, name="portal-account-hold"),
    path(
        "accounts/<str:account_id>/holds/<str:hold_id>/release/", views.hold_release, name="portal-hold-release"
    ),
    path("accounts/<str:account_id>/freeze/", views.account_freeze, name="portal-account-freeze"),
    path("accounts/<str:account_id>/unfreeze/", views.account_unfreeze, name="portal-account-unfreeze"),
    path("payments/", payments.payment_list, name="portal-payments"),
    path("payments/held/", payments.payments_held, name="portal-payments-held"),
    path("payments/failed/", payments.payments_failed, name="portal-payments-failed"),
    path("payments/<str:payment_id>/", payments.payment_detail, name="portal-payment"),
    path("payments/<str:payment_id>/release/", payments.payment_release, name="portal-payment-release"),
    path("payments/<str:payment_id>/reject/", payments.payment_reject, name="portal-payment-reject"),
    path("payments/<str:payment_id>/retry/", payments.payment_retry, name="portal-payment-retry"),
    path("dealing/", dealing.dealing, name="portal-dealing"),
    path("dealing/live/", dealing.dealing_live, name="portal-dealing-live"),
    path(
        "compliance/screening-decisions/", screening_decisions.decision_list, name="portal-screening-decisions"
    ),
    path("compliance/aml/alerts/", aml.alert_list, name="portal-aml-alerts"),
    path("compliance/aml/alerts/<str:alert_id>/", aml.alert_detail, name="portal-aml-alert"),
    *[
        path(f"compliance/aml/alerts/<str:alert_id>/{action}/", aml.alert_action, {"action": action},
             name=f"portal-aml-alert-{action}")
        for action in aml.ALERT_ACTIONS
    ],
    path("compliance/aml/cases/", aml.case_list, name="portal-aml-cases"),
    path("compliance/aml/cases/<str:case_id>/", aml.case_detail, name="portal-aml-case"),
    path("compliance/aml/cases/<str:case_id>/attach/", aml.case_attach, name="portal-aml-case-attach"),
    path(
        "compliance/aml/cases/<str:case_id>/attachments/<int:attachment_id>/",
        aml.case_attachment,
        name="portal-aml-case-attachment",
    ),
    *[
        path(f"compliance/aml/cases/<str:case_id>/{action}/", aml.case_action, {"action": action},
             name=f"portal-aml-case-{action}")
        for action in aml.CASE_ACTIONS
    ],
    path("compliance/filings/", filings.report_list, name="portal-filings"),
    path("compliance/filings/generate/ctr/", filings.ctr_generate, name="portal-filings-generate-ctr"),
    path("compliance/filings/generate/fbar/", filings.fbar_generate, name="portal-filings-generate-fbar"),
    path("compliance/filings/<str:report_id>/", filings.report_detail, name="portal-filing"),
    path("compliance/filings/<str:report_id>/xml/", filings.report_xml, name="portal-filing-xml"),
    path("compliance/filings/<str:report_id>/review/", filings.report_review, name="portal-filing-review"),
    path("compliance/filings/<str:report_id>/approve/", filings.report_approve, name="portal-filing-approve"),
    path("compliance/filings/<str:report_id>/reject/", filings.report_reject, name="portal-filing-reject"),
    path("compliance/filings/<str:report_id>/file/", filings.report_file, name="portal-filing-file"),
    path("compliance/screening/", compliance.screening_alert_list, name="portal-screening-alerts"),
    path("compliance/screening/<str:alert_id>/", compliance.screening_alert_detail, name="portal-screening-alert"),
    path(
        "compliance/screening/<str:alert_id>/decide/",
        compliance.screening_alert_decide,
        name="portal-screening-alert-decide",
    ),
    path("inbound/exceptions/", inbound.exception_list, name="portal-inbound-exceptions"),
    path("inbound/exceptions/<str:exception_id>/", inbound.exception_detail, name="portal-inbound-exception"),
    path(
        "inbound/exceptions/<str:exception_id>/apply/", inbound.exception_apply, name="portal-inbound-exception-apply"
    ),
    path(
        "inbound/exceptions/<str:exception_id>/return/",
        inbound.exception_return,
        name="portal-inbound-exception-return",
    ),
    path("reconciliation/", reconciliation.reconciliation_overview, name="portal-reconciliation"),
    path("reconciliation/breaks/", reconciliation.reconciliation_breaks, name="portal-reconciliation-breaks"),
    path(
        "reconciliation/breaks/<str:break_id>/", reconciliation.reconciliation_break, name="portal-reconciliation-break"
    ),
    path(
        "reconciliation/breaks/<str:break_id>/resolve/",
        reconciliation.reconciliation_break_resolve,
        name="portal-reconciliation-break-resolve",
    ),
    path(
        "reconciliation/breaks/<str:break_id>/write-off/",
        reconciliation.reconciliation_break_write_off,
        name="portal-reconciliation-break-write-off",
    ),
    path("reconciliation/runs/<str:run_id>/", reconciliation.reconciliation_run, name="portal-reconciliation-run"),
    path("cards/authorisations/", cards.authorisation_list, name="portal-card-authorisations"),
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

"""/api/v1/ routes. No trailing slashes, as in the seed's examples."""

from django.urls import path

from apps.accounts.api import views as accounts
from apps.approvals.api import views as approvals
from apps.cards.api import views as cards
from apps.compliance.api import alert_views as screening_alerts
from apps.compliance.api import aml_views as aml
from apps.compliance.api import views as compliance
from apps.core.api.views import SystemStatusView
from apps.customers.api import views as customers
from apps.events.api import views as events
from apps.fraud.api import views as fraud
from apps.inbound.api import views as inbound
from apps.ledger.api import views as ledger
from apps.payments.api import views as payments
from apps.reconciliation.api import views as reconciliation
from apps.treasury.api import views as treasury

urlpatterns = [
    path("system/status", SystemStatusView.as_view(), name="system-status"),
    path("currencies", ledger.CurrencyListView.as_view(), name="currencies"),
    path("accounts", accounts.AccountListCreateView.as_view(), name="accounts"),
    path("accounts/<str:account_id>", accounts.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<str:account_id>/status", accounts.AccountStatusView.as_view(), name="account-status"),
    path("accounts/<str:account_id>/overdraft", accounts.AccountOverdraftView.as_view(), name="account-overdraft"),
    path("accounts/<str:account_id>/balance", ledger.BalanceView.as_view(), name="account-balance"),
    path("accounts/<str:account_id>/statement", ledger.StatementView.as_view(), name="account-statement"),
    path("transactions", ledger.TransactionListCreateView.as_view(), name="transactions"),
    path("transactions/batch", ledger.TransactionBatchView.as_view(), name="transactions-batch"),
    path("transactions/<str:transaction_id>", ledger.TransactionDetailView.as_view(), name="transaction-detail"),
    path(
        "transactions/<str:transaction_id>/reverse", ledger.TransactionReverseView.as_view(), name="transaction-reverse"
    ),
    path("holds", ledger.HoldCreateView.as_view(), name="holds"),
    path("holds/<str:hold_id>", ledger.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<str:hold_id>/capture", ledger.HoldCaptureView.as_view(), name="hold-capture"),
    path("holds/<str:hold_id>/void", ledger.HoldVoidView.as_view(), name="hold-void"),
    path("fx-rates", ledger.FxRateListCreateView.as_view(), name="fx-rates"),
    path("fx/quotes", treasury.FxQuoteCreateView.as_view(), name="fx-quotes"),
    path("fx/quotes/<str:quote_id>/accept", treasury.FxQuoteAcceptView.as_view(), name="fx-quote-accept"),
    path("fx/positions", treasury.FxPositionsView.as_view(), name="fx-positions"),
    path("payments", payments.PaymentListView.as_view(), name="payments"),
    path("payments/send", payments.PaymentSendView.as_view(), name="payment-send"),
    # Before payments/<payment_id>, which would take the path otherwise (apps.inbound).
    path("payments/inbound", inbound.InboundReceiveView.as_view(), name="inbound-receive"),
    path("payments/<str:payment_id>", payments.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<str:payment_id>/cancel", payments.PaymentCancelView.as_view(), name="payment-cancel"),
    path("ledger/periods", ledger.PeriodCloseListCreateView.as_view(), name="ledger-periods"),
    path("approvals", approvals.ApprovalListCreateView.as_view(), name="approvals"),
    path("approvals/<str:approval_id>", approvals.ApprovalDetailView.as_view(), name="approval-detail"),
    path("approvals/<str:approval_id>/approve", approvals.ApprovalApproveView.as_view(), name="approval-approve"),
    path("approvals/<str:approval_id>/reject", approvals.ApprovalRejectView.as_view(), name="approval-reject"),
    path("screening/search", compliance.ScreeningSearchView.as_view(), name="screening-search"),
    path("cards", cards.CardIssueView.as_view(), name="cards"),
    path("cards/iso8583", cards.CardMessageView.as_view(), name="card-messages"),
    path("cards/<str:card_id>", cards.CardDetailView.as_view(), name="card-detail"),
    path("cards/<str:card_id>/block", cards.CardBlockView.as_view(), name="card-block"),
    path("cards/<str:card_id>/authorisations", cards.CardAuthorisationListView.as_view(), name="card-authorisations"),
    path("fraud/alerts", fraud.AlertListView.as_view(), name="fraud-alerts"),
    path("fraud/alerts/<str:alert_id>/decision", fraud.AlertDecisionView.as_view(), name="fraud-alert-decision"),
    # AML monitoring, cases and reports (apps.compliance)
    path("compliance/rules", aml.RuleListView.as_view(), name="aml-rules"),
    path("compliance/alerts", aml.AlertListView.as_view(), name="aml-alerts"),
    path("compliance/alerts/<str:alert_id>", aml.AlertDetailView.as_view(), name="aml-alert-detail"),
    path(
        "compliance/alerts/<str:alert_id>/dismiss",
        aml.AlertDecideView.as_view(decision="dismissed"),
        name="aml-alert-dismiss",
    ),
    path(
        "compliance/alerts/<str:alert_id>/confirm",
        aml.AlertDecideView.as_view(decision="confirmed"),
        name="aml-alert-confirm",
    ),
    path("compliance/cases", aml.CaseListView.as_view(), name="aml-cases"),
    path("compliance/cases/<str:case_id>", aml.CaseDetailView.as_view(), name="aml-case-detail"),
    path("compliance/cases/<str:case_id>/assign", aml.CaseAssignView.as_view(), name="aml-case-assign"),
    path("compliance/cases/<str:case_id>/update", aml.CaseUpdateView.as_view(), name="aml-case-update"),
    path("compliance/cases/<str:case_id>/notes", aml.CaseNoteView.as_view(), name="aml-case-notes"),
    path("compliance/cases/<str:case_id>/attachments", aml.CaseAttachmentView.as_view(), name="aml-case-attach"),
    path("compliance/cases/<str:case_id>/escalate", aml.CaseEscalateView.as_view(), name="aml-case-escalate"),
    path("compliance/cases/<str:case_id>/decide", aml.CaseDecideView.as_view(), name="aml-case-decide"),
    path("compliance/reports", aml.ReportListView.as_view(), name="aml-reports"),
    path("compliance/reports/ctr", aml.CtrGenerateView.as_view(), name="aml-reports-ctr"),
    path("compliance/reports/fbar", aml.FbarGenerateView.as_view(), name="aml-reports-fbar"),
    path("compliance/reports/<str:report_id>", aml.ReportDetailView.as_view(), name="aml-report-detail"),
    path("compliance/reports/<str:report_id>/xml", aml.ReportXmlView.as_view(), name="aml-report-xml"),
    path("compliance/reports/<str:report_id>/html", aml.ReportHtmlView.as_view(), name="aml-report-html"),
    path("compliance/reports/<str:report_id>/review", aml.ReportReviewView.as_view(), name="aml-report-review"),
    path("compliance/reports/<str:report_id>/approve", aml.ReportApproveView.as_view(), name="aml-report-approve"),
    path("compliance/reports/<str:report_id>/file", aml.ReportFileView.as_view(), name="aml-report-file"),
    path("compliance/reports/<str:report_id>/reject", aml.ReportRejectView.as_view(), name="aml-report-reject"),
    path("compliance/custom-reports/<int:report_id>/csv", aml.CustomReportCsvView.as_view(), name="aml-custom-csv"),
    # reconciliation (apps/reconciliation)
    path("reconciliation/statements", reconciliation.StatementImportView.as_view(), name="reconciliation-statements"),
    path(
        "reconciliation/statements/<str:statement_id>/runs",
        reconciliation.RunCreateView.as_view(),
        name="reconciliation-statement-runs",
    ),
    path("reconciliation/runs", reconciliation.RunListView.as_view(), name="reconciliation-runs"),
    path("reconciliation/runs/<str:run_id>", reconciliation.RunDetailView.as_view(), name="reconciliation-run-detail"),
    path("reconciliation/breaks", reconciliation.BreakListView.as_view(), name="reconciliation-breaks"),
    path(
        "reconciliation/breaks/<str:break_id>/resolve",
        reconciliation.BreakResolveView.as_view(),
        name="reconciliation-break-resolve",
    ),
    path(
        "reconciliation/breaks/<str:break_id>/write-off",
        reconciliation.BreakWriteOffView.as_view(),
        name="reconciliation-break-write-off",
    ),
    path("customers", customers.CustomerListCreateView.as_view(), name="customers"),
    path("customers/<str:customer_id>", customers.CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<str:customer_id>/documents", customers.CustomerDocumentsView.as_view(), name="customer-documents"),
    path(
        "customers/<str:customer_id>/documents/<str:document_id>/verify",
        customers.DocumentDecisionView.as_view(),
        name="customer-document-verify",
    ),
    path("customers/<str:customer_id>/verify", customers.CustomerVerifyView.as_view(), name="customer-verify"),
    path("customers/<str:customer_id>/reject", customers.CustomerRejectView.as_view(), name="customer-reject"),
    path("screening/alerts", screening_alerts.AlertListView.as_view(), name="screening-alerts"),
    path("screening/alerts/<str:alert_id>", screening_alerts.AlertDetailView.as_view(), name="screening-alert"),
    path(
        "screening/alerts/<str:alert_id>/clear", screening_alerts.AlertClearView.as_view(), name="screening-alert-clear"
    ),
    path(
        "screening/alerts/<str:alert_id>/confirm",
        screening_alerts.AlertConfirmView.as_view(),
        name="screening-alert-confirm",
    ),
    # Inbound payments, exception items (suspense) and the returns / change notices of our payments.
    path("inbound/payments", inbound.InboundListView.as_view(), name="inbound-payments"),
    path("inbound/payments/<str:inbound_id>", inbound.InboundDetailView.as_view(), name="inbound-payment-detail"),
    path("inbound/exceptions", inbound.ExceptionListView.as_view(), name="inbound-exceptions"),
    path("inbound/exceptions/<str:exception_id>/apply", inbound.ExceptionApplyView.as_view(), name="inbound-apply"),
    path("inbound/exceptions/<str:exception_id>/return", inbound.ExceptionReturnView.as_view(), name="inbound-return"),
    path("inbound/notices", inbound.NoticeListView.as_view(), name="inbound-notices"),
    # The event stream (apps.events): the outbox by cursor, and webhook subscriptions.
    path("events", events.EventListView.as_view(), name="events"),
    path("events/webhooks", events.WebhookSubscriptionListCreateView.as_view(), name="events-webhooks"),
    path(
        "events/webhooks/<str:subscription_id>",
        events.WebhookSubscriptionDetailView.as_view(),
        name="events-webhook-detail",
    ),
    path(
        "events/webhooks/<str:subscription_id>/deactivate",
        events.WebhookSubscriptionDeactivateView.as_view(),
        name="events-webhook-deactivate",
    ),
    path(
        "events/webhooks/<str:subscription_id>/reactivate",
        events.WebhookSubscriptionReactivateView.as_view(),
        name="events-webhook-reactivate",
    ),
    path(
        "events/webhooks/<str:subscription_id>/deliveries",
        events.WebhookDeliveryListView.as_view(),
        name="events-webhook-deliveries",
    ),
    path(
        "events/webhooks/<str:subscription_id>/replay-failed",
        events.WebhookSubscriptionReplayFailedView.as_view(),
        name="events-webhook-replay-failed",
    ),
    path(
        "events/webhook-deliveries/<str:delivery_id>",
        events.WebhookDeliveryDetailView.as_view(),
        name="events-webhook-delivery-detail",
    ),
    path(
        "events/webhook-deliveries/<str:delivery_id>/replay",
        events.WebhookDeliveryReplayView.as_view(),
        name="events-webhook-delivery-replay",
    ),
]

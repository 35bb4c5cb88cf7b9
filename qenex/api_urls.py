"""/api/v1/ routes. No trailing slashes, as in the seed's examples."""

from django.urls import path

from apps.accounts.api import views as accounts
from apps.approvals.api import views as approvals
from apps.compliance.api import alert_views as screening_alerts
from apps.compliance.api import views as compliance
from apps.core.api.views import SystemStatusView
from apps.customers.api import views as customers
from apps.ledger.api import views as ledger
from apps.payments.api import views as payments

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
    path("payments", payments.PaymentListView.as_view(), name="payments"),
    path("payments/send", payments.PaymentSendView.as_view(), name="payment-send"),
    path("payments/<str:payment_id>", payments.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<str:payment_id>/cancel", payments.PaymentCancelView.as_view(), name="payment-cancel"),
    path("ledger/periods", ledger.PeriodCloseListCreateView.as_view(), name="ledger-periods"),
    path("approvals", approvals.ApprovalListCreateView.as_view(), name="approvals"),
    path("approvals/<str:approval_id>", approvals.ApprovalDetailView.as_view(), name="approval-detail"),
    path("approvals/<str:approval_id>/approve", approvals.ApprovalApproveView.as_view(), name="approval-approve"),
    path("approvals/<str:approval_id>/reject", approvals.ApprovalRejectView.as_view(), name="approval-reject"),
    path("screening/search", compliance.ScreeningSearchView.as_view(), name="screening-search"),
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
]

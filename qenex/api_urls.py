"""/api/v1/ routes. No trailing slashes, as in the seed's examples."""

from django.urls import path

from apps.accounts.api import views as accounts
from apps.approvals.api import views as approvals
from apps.compliance.api import views as compliance
from apps.core.api.views import SystemStatusView
from apps.inbound.api import views as inbound
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
    # Inbound payments, exception items (suspense) and the returns / change notices of our payments.
    path("inbound/payments", inbound.InboundListView.as_view(), name="inbound-payments"),
    path("inbound/payments/<str:inbound_id>", inbound.InboundDetailView.as_view(), name="inbound-payment-detail"),
    path("inbound/exceptions", inbound.ExceptionListView.as_view(), name="inbound-exceptions"),
    path("inbound/exceptions/<str:exception_id>/apply", inbound.ExceptionApplyView.as_view(), name="inbound-apply"),
    path("inbound/exceptions/<str:exception_id>/return", inbound.ExceptionReturnView.as_view(), name="inbound-return"),
    path("inbound/notices", inbound.NoticeListView.as_view(), name="inbound-notices"),
]

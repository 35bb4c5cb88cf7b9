"""The portal's own menu entries (other apps register theirs the same way: see ``navigation``)."""

from .navigation import MenuItem, register


def register_portal_menu() -> None:
    register(MenuItem("Dashboard", "portal-dashboard", ("accounts.view_account",), order=10))
    register(MenuItem("Accounts", "portal-accounts", ("accounts.view_account",), order=20))
    register(MenuItem("Payments", "portal-payments", ("payments.view_paymentorder",), order=30))
    register(MenuItem("Held payments", "portal-payments-held", ("payments.view_paymentorder",), order=31))
    register(MenuItem("Dead letters", "portal-payments-failed", ("payments.view_paymentorder",), order=32))
    register(MenuItem("FX dealing", "portal-dealing", ("treasury.view_fxdeal",), order=35))
    register(
        MenuItem(
            "Approvals",
            "portal-approvals",
            ("approvals.approve_request", "approvals.approve_compliance_request"),
            order=40,
        )
    )
    register(
        MenuItem("Screening alerts", "portal-screening-alerts", ("compliance.view_screeningalert",), order=60)
    )
    register(MenuItem("AML alerts", "portal-aml-alerts", ("compliance.view_amlalert",), order=61))
    register(MenuItem("AML cases", "portal-aml-cases", ("compliance.view_amlcase",), order=62))
    register(MenuItem("FinCEN filings", "portal-filings", ("compliance.view_amlreport",), order=63))
    register(
        MenuItem("Screening decisions", "portal-screening-decisions", ("compliance.view_screeningalert",), order=64)
    )
    register(MenuItem("Inbound exceptions", "portal-inbound-exceptions", ("inbound.view_exceptionitem",), order=50))
    register(
        MenuItem("Reconciliation", "portal-reconciliation", ("reconciliation.view_reconciliationrun",), order=55)
    )
    register(MenuItem("Card authorisations", "portal-card-authorisations", ("cards.view_authorisation",), order=70))
    register(MenuItem("Admin", "admin:index", order=90))
    register(MenuItem("API docs", "swagger-ui", order=91))
    register(MenuItem("Security keys", "mfa-keys", order=95))

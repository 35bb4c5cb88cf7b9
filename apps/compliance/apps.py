from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "apps.compliance"
    label = "compliance"
    verbose_name = "Compliance (sanctions screening, AML monitoring, cases, reports)"

    def ready(self) -> None:
        # Payments (outbound and inbound) and postings are screened through the gateway's check registry
        # (apps.core.checks); held payments are screening subjects of a rescreen.
        from . import screening_tasks  # noqa: F401 (registers the rescreen task with Celery)
        from .payment_checks import register

        register()
        # AML monitoring: after each posting commits (ledger subscriber) and on each payment (check registry).
        from .monitoring.hooks import register as register_monitoring

        register_monitoring()
        # Closing a high-risk AML case is a four-eyes operation of apps.approvals.
        from apps.approvals.services import register_kind

        from .cases.services import APPROVAL_KIND, clean_close_payload, run_close_approval

        register_kind(
            kind=APPROVAL_KIND,
            maker_permission="compliance.work_amlcase",
            clean=clean_close_payload,
            run=run_close_approval,
        )

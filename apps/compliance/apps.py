from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "apps.compliance"
    label = "compliance"
    verbose_name = "Compliance (sanctions screening)"

    def ready(self) -> None:
        # Payments (outbound and inbound) and postings are screened through the gateway's check registry
        # (apps.core.checks); held payments are screening subjects of a rescreen.
        from . import screening_tasks  # noqa: F401 (registers the rescreen task with Celery)
        from .payment_checks import register

        register()

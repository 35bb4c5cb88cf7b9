from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "apps.compliance"
    label = "compliance"
    verbose_name = "Compliance (sanctions screening)"

    def ready(self) -> None:
        # Every payment's parties are screened through the gateway's check registry (apps.payments.checks).
        from .payment_checks import register

        register()

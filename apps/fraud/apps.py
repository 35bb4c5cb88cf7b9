from django.apps import AppConfig


class FraudConfig(AppConfig):
    name = "apps.fraud"
    label = "fraud"
    verbose_name = "Fraud detection and risk scoring"

    def ready(self) -> None:
        # Inline scoring of postings that move money out, payments and card authorisations (apps.core.checks);
        # with no promoted model, or fraud detection switched off, each check returns at once.
        from . import checks, reporting

        checks.register()
        reporting.register()

        from apps.security.blind_index import register_derived_rekey

        from .services import fraud_counterparties_rekey

        # Payment alerts and labels keep a copy of the creditor's blind index (``bidx:<digest>``).
        register_derived_rekey("fraud", fraud_counterparties_rekey)

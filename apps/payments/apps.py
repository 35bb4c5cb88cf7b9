from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from apps.core.metrics import register_scrape_collector

        from .metrics import OPEN_PAYMENTS

        register_scrape_collector(OPEN_PAYMENTS)

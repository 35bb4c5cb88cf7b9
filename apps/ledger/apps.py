from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        # Every process exports the transaction metrics from its start, posted to or not (a scrape shows them all).
        from . import metrics  # noqa: F401

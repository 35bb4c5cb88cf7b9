from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = "Event stream"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.metrics import register_scrape_collector

        from .metrics import OutboxLagCollector

        register_scrape_collector(OutboxLagCollector())

from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    """Backups, restore checks and read replicas. No models: it reads other apps' tables, never writes them."""

    name = "apps.continuity"
    label = "continuity"
    verbose_name = "Backups, restore and replicas"

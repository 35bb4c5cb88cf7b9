from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "apps.inbound"
    verbose_name = "Inbound payments, suspense and returns"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "apps.portal"
    label = "portal"
    verbose_name = "Staff portal"

    def ready(self) -> None:
        from .menu import register_portal_menu

        register_portal_menu()

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, using="default", **kwargs) -> None:
    from django.apps import apps as global_apps

    from .roles import apply_roles

    if using == "default":
        apply_roles(global_apps)


class AccessConfig(AppConfig):
    default = True
    name = "apps.access"
    label = "access"
    verbose_name = "Staff access (MFA, lockout, roles)"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI scheme of the OTP session)

        # After every migrate (and test-database flush): make sure the roles of ``roles.py`` exist.
        # Connected for this app's signal only; apply_roles creates any model permission still missing.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="qenex-access-sync-roles")


class QenexAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served by a site that requires a verified OTP session (see ``admin_site``)."""

    default = False
    default_site = "apps.access.admin_site.QenexAdminSite"

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "apps.security"
    label = "security"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from . import conf, keyring

        # Refuse to start in production with a development-only key setup; no HSM connection is made here.
        conf.check_startup_policy()
        setting_changed.connect(keyring.reset_on_setting_change, dispatch_uid="apps.security.reset_keyring")

import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("qenex.config")


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        import os

        from .db import forget_inherited_connections

        os.register_at_fork(after_in_child=forget_inherited_connections)
        # Every process (web, worker, beat, manage.py) says plainly which given settings do nothing.
        for message in settings.QENEX_UNSUPPORTED_SETTINGS:
            logger.warning(message)

import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("qenex.config")


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Every process (web, worker, beat, manage.py) says plainly which given settings do nothing.
        for message in settings.QENEX_UNSUPPORTED_SETTINGS:
            logger.warning(message)

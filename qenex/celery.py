"""Celery application. Broker is Redis (``REDIS_URL``); without it tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")

app = Celery("qenex")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

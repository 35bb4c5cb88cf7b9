"""Settings for the test suite: the real settings in ``test`` mode (PostgreSQL via DATABASE_URL)."""

import os

os.environ["QENEX_ENV"] = "test"
os.environ.setdefault("QENEX_CELERY_EAGER", "true")

from qenex.settings import *  # noqa: E402,F403

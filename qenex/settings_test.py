"""Settings for the test suite: the real settings in ``test`` mode (PostgreSQL via DATABASE_URL)."""

import os

os.environ["QENEX_ENV"] = "test"
os.environ.setdefault("QENEX_CELERY_EAGER", "true")

from qenex.settings import *  # noqa: E402,F403
from qenex.settings import DATABASES  # noqa: E402

# One test database per run, so developers (and CI) running the suite at once never drop each other's.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

# The suite opens accounts for arbitrary owner ids; the KYC gate's own tests turn it on (tests/customers).
QENEX["compliance"]["kyc_required"] = False  # noqa: F405

# Every rail open every day with no cut-off, so payments never wait for tomorrow because of when the suite runs;
# the calendar tests turn calendars on (tests/payments/gateway/test_business_days.py).
QENEX_PAYMENTS_CALENDARS = False

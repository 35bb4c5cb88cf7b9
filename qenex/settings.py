"""Django settings for QENEX, driven by the environment and the optional JSON config file.

``QENEX_ENV`` picks the mode: ``production`` (the default, so nothing insecure ships by accident),
``development`` (what ``make run`` uses), ``test`` (pytest) or ``embedded`` (the in-process Python SDK).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from qenex import config as qenex_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = qenex_config.var_dir()

env = environ.Env()

QENEX_ENV = os.environ.get("QENEX_ENV", "production")
if QENEX_ENV not in {"production", "development", "test", "embedded"}:
    raise ImproperlyConfigured(f"QENEX_ENV={QENEX_ENV!r}: use production, development, test or embedded")
PRODUCTION = QENEX_ENV == "production"

try:
    QENEX = qenex_config.load()
except qenex_config.ConfigError as exc:
    raise ImproperlyConfigured(f"QENEX configuration: {exc}") from None

DEBUG = env.bool("QENEX_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("QENEX_DEBUG=true is refused in production mode")


def _secret_key() -> str:
    key = os.environ.get("QENEX_SECRET_KEY", "")
    if key:
        if PRODUCTION and len(key) < 50:
            raise ImproperlyConfigured("QENEX_SECRET_KEY must be at least 50 characters in production")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "QENEX_SECRET_KEY is not set. Production mode needs a secret key from the environment "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    if QENEX_ENV == "development":
        # Kept on disk so development sessions survive a restart; never used outside development.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file = VAR_DIR / "dev-secret-key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(64))
            key_file.chmod(0o600)
        return key_file.read_text().strip()
    return secrets.token_urlsafe(64)


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env.list("QENEX_ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if QENEX_ENV == "test":
    ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = env.list("QENEX_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "apps.access.apps.QenexAdminConfig",  # django.contrib.admin, served only to OTP-verified staff
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI as static files: no CDN at run time
    "django_prometheus",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "apps.access.webauthn_app.QenexWebAuthnConfig",  # django-otp-webauthn: security keys (FIDO2)
    "apps.core",
    "apps.security",
    "apps.iam",
    "apps.accounts",
    "apps.ledger",
    "apps.audit",
    "apps.payments",
    "apps.portal",
    "apps.access",
    "apps.approvals",
    "apps.compliance",
    "apps.cards",
    "apps.fraud",
    "apps.reconciliation",
    "apps.treasury",
    "apps.customers",
    "apps.inbound",
    "apps.continuity",
    "apps.privacy",
    "apps.events",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.ProbeMiddleware",  # /health and /metrics for probes: before the Host and HTTPS checks
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.RefuseHostileRequestMiddleware",  # NUL in URL, body too large: JSON 4xx
    "qenex.db_routers.ReadYourWritesMiddleware",  # after a write, this request reads the primary only
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.access.middleware.StaffMfaMiddleware",  # password-only sessions reach only the OTP pages
    "apps.access.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "qenex.urls"
WSGI_APPLICATION = "qenex.wsgi.application"
ASGI_APPLICATION = "qenex.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.portal.context_processors.portal",
            ],
        },
    },
]


def _database() -> dict:
    """PostgreSQL from DATABASE_URL or QENEX_DB_*; otherwise an embedded SQLite file."""
    db = QENEX["database"]
    if os.environ.get("DATABASE_URL"):
        cfg = env.db_url("DATABASE_URL")
    elif os.environ.get("QENEX_DB_HOST") or qenex_config.file_declares_database():
        cfg = {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": db.get("host", "localhost"),
            "PORT": str(db.get("port", 5432)),
            "USER": db.get("user", "qenex"),
            "PASSWORD": db.get("password", ""),
            "NAME": db.get("database", "qenex"),
        }
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("QENEX_SQLITE_PATH", str(VAR_DIR / "qenex.sqlite3")),
            # IMMEDIATE takes the write lock at BEGIN, so two postings never interleave on SQLite.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    if cfg["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
        # django-prometheus's instrumented backend, plus knowing whether a failure hit a COMMIT (apps.core.outage).
        cfg["ENGINE"] = "apps.core.backends.postgresql"
    if cfg["ENGINE"].endswith("postgresql"):
        # database.pool_size (QENEX_DB_POOL_SIZE): a psycopg connection pool per process, at most this many
        # connections; a request waits up to 5 s for a free one. Django's pool needs CONN_MAX_AGE = 0.
        # reconnect_timeout: psycopg_pool retries a failed connect after 1, 2, 4 ... s for up to this long, then
        # gives up and the next request starts afresh. Its default (300 s) lets that pause grow past a minute in
        # a long outage, so requests kept timing out (503) for that long after PostgreSQL was back (measured:
        # ~8 s of 503s after a 25 s outage); 2 s bounds the wait after recovery to about a second.
        cfg.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": db["pool_size"],
            "timeout": 5,
            "reconnect_timeout": 2,
        }
        # Server-side parameter binding: psycopg prepares a statement the connection runs often (the posting
        # engine's few statements) instead of interpolating its parameters into SQL text each time; measured
        # ~25% less time per transfer (bench/bench_ledger.py). QENEX_DB_SERVER_SIDE_BINDING=false turns it off
        # (e.g. behind a transaction-pooling PgBouncer that cannot keep prepared statements).
        cfg["OPTIONS"]["server_side_binding"] = env.bool("QENEX_DB_SERVER_SIDE_BINDING", default=True)
        cfg["CONN_MAX_AGE"] = 0
    cfg.setdefault("CONN_HEALTH_CHECKS", True)
    return cfg


DATABASES = {"default": _database()}
# A streaming read replica (docs/runbooks/failover.md): only selectors marked in qenex/db_routers.py read from it.
if os.environ.get("QENEX_DATABASE_REPLICA_URL") and DATABASES["default"]["ENGINE"] == "apps.core.backends.postgresql":
    _replica = env.db_url("QENEX_DATABASE_REPLICA_URL")
    _replica.update(
        ENGINE=DATABASES["default"]["ENGINE"],
        OPTIONS={**DATABASES["default"]["OPTIONS"], "pool": dict(DATABASES["default"]["OPTIONS"]["pool"])},
        CONN_MAX_AGE=0,
        CONN_HEALTH_CHECKS=True,
        TEST={"MIRROR": "default"},  # tests: the replica alias reads the test database
    )
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["qenex.db_routers.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if QENEX_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never outside tests

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Redis, Celery, Channels -------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL and os.environ.get("QENEX_REDIS_HOST"):
    REDIS_URL = f"redis://{QENEX['database']['redis_host']}:{QENEX['database']['redis_port']}/0"

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker the tasks run inline, so the app works on a bare machine.
CELERY_TASK_ALWAYS_EAGER = env.bool("QENEX_CELERY_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# The queue tasks go to by default (tests give each run its own, so parallel runs never take each other's tasks).
CELERY_TASK_DEFAULT_QUEUE = env.str("QENEX_CELERY_QUEUE", default="celery")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "expire-holds": {"task": "apps.ledger.tasks.expire_holds", "schedule": 60.0},
    "audit-checkpoint": {"task": "apps.audit.tasks.audit_checkpoint", "schedule": 300.0},
    "rotate-keys": {"task": "apps.security.tasks.rotate_keys_if_due", "schedule": 3600.0},
    # Data-subject erasures whose retention has ended (apps.privacy): daily is enough, a day's delay is allowed.
    "privacy-execute-due-erasures": {"task": "apps.privacy.tasks.execute_due_erasures", "schedule": 86400.0},
}

# An open WebSocket re-checks its session and permission before an update, at most this often (seconds).
QENEX_WS_REVALIDATE_SECONDS = env.int("QENEX_WS_REVALIDATE_SECONDS", default=30)

CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "qenex"},
        }
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

# Largest request body (bytes); larger ones get 413 request_too_large. Our largest bodies are a few kB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- REST API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.iam.authentication.ApiKeyAuthentication",
        "apps.access.authentication.OTPSessionAuthentication",  # staff sessions need a verified OTP
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.iam.permissions.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    "DEFAULT_PARSER_CLASSES": ["apps.core.api.parsers.ExactJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.iam.throttling.AnonRateThrottle",
        "apps.iam.throttling.ApiKeyRateThrottle",
        "apps.iam.throttling.IpRateThrottle",
    ],
    # 0: the client address is the socket's; set to the number of trusted proxies in front of the app.
    "NUM_PROXIES": env.int("QENEX_NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("QENEX_THROTTLE_ANON", default="60/minute"),
        "api_key": env.str("QENEX_THROTTLE_API_KEY", default="6000/minute"),
        "ip": env.str("QENEX_THROTTLE_IP", default="12000/minute"),
        # failed API-key attempts per source IP (apps.iam.throttling.AuthFailureRateThrottle)
        "auth_failures": env.str("QENEX_THROTTLE_AUTH_FAILURES", default="20/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if QENEX_ENV == "test":
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
        "anon": "100000/minute",
        "api_key": "1000000/minute",
        "ip": "1000000/minute",
        "auth_failures": "1000000/minute",
    }

# When the rate limiter's store (the Redis cache) fails: "open" lets API calls through unlimited, with a
# warning logged and qenex_rate_limiter_unavailable_total counted; "closed" refuses them with 503
# rate_limiter_unavailable (and readiness then needs Redis). One rule for every throttle (apps.iam.throttling).
QENEX_THROTTLE_ON_REDIS_FAILURE = env.str("QENEX_THROTTLE_ON_REDIS_FAILURE", default="open").strip().lower()
if QENEX_THROTTLE_ON_REDIS_FAILURE not in {"open", "closed"}:
    raise ImproperlyConfigured(
        f"QENEX_THROTTLE_ON_REDIS_FAILURE={QENEX_THROTTLE_ON_REDIS_FAILURE!r}: use open or closed"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "QENEX API",
    "DESCRIPTION": "Accounts, double-entry ledger and payments for a bank's back office. "
    "Amounts travel as decimal strings; every posting needs an Idempotency-Key header.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.add_error_responses",  # the {"error": …} body of every 4xx
    ],
    "ENUM_NAME_OVERRIDES": {
        "FxSideEnum": "apps.treasury.models.FxSide",
        "FxQuoteStatusEnum": "apps.treasury.models.FxQuoteStatus",
        "FxDealStatusEnum": "apps.treasury.models.FxDealStatus",
        "AccountStatusEnum": "apps.accounts.models.AccountStatus",
        "HoldStatusEnum": "apps.ledger.models.HoldStatus",
        "PaymentStatusEnum": "apps.payments.states.PaymentStatus",
        "ApprovalKindEnum": "apps.approvals.models.ApprovalKind",
        "AmlSeverityEnum": "apps.compliance.aml_models.Severity",
        "AmlRuleKindEnum": "apps.compliance.aml_models.RuleKind",
        "AmlCaseDecisionEnum": "apps.compliance.aml_models.CaseDecision",
        "AmlAlertStatusEnum": "apps.compliance.aml_models.AlertStatus",
        "AmlCaseStatusEnum": "apps.compliance.aml_models.CaseStatus",
        "AmlReportStatusEnum": "apps.compliance.aml_models.ReportStatus",
        "CustomerKindEnum": "apps.customers.models.CustomerKind",
        "FraudAlertKindEnum": "apps.fraud.models.AlertKind",
        "BreakKindEnum": "apps.reconciliation.models.BreakKind",
        "RailEnum": "apps.payments.models.Rail",
    },
}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "qenex",
            # A Redis that hangs must not hang every request: fail fast, and the throttle rule above decides.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Security ----------------------------------------------------------------------------------------
SESSION_COOKIE_AGE = QENEX["security"]["session_timeout_minutes"] * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Staff sign-in: failures counted per (user, source IP) and locked after QENEX["security"]["max_login_attempts"];
# then TOTP (django-otp).
AUTHENTICATION_BACKENDS = ["apps.access.backends.LockoutModelBackend"]
# A lock is per (user, source IP) and lasts QENEX_LOGIN_LOCK_SECONDS, doubling with each further failure from
# that address, up to QENEX_LOGIN_LOCK_MAX_SECONDS (apps.access.services.login_lock_seconds).
QENEX_LOGIN_LOCK_SECONDS = env.int("QENEX_LOGIN_LOCK_SECONDS", default=60)
QENEX_LOGIN_LOCK_MAX_SECONDS = env.int("QENEX_LOGIN_LOCK_MAX_SECONDS", default=24 * 3600)
OTP_TOTP_ISSUER = "QENEX"
# Security keys (FIDO2/WebAuthn via django-otp-webauthn) as a second kind of MFA device. A key is bound to the
# relying party ID (the host name); changing it later makes every registered key unusable. Production has no
# default: the check qenex_access.E101 fails until QENEX_WEBAUTHN_RP_ID and QENEX_WEBAUTHN_ORIGINS are set.
OTP_WEBAUTHN_RP_ID = env.str("QENEX_WEBAUTHN_RP_ID", default="" if PRODUCTION else "localhost")
OTP_WEBAUTHN_RP_NAME = env.str("QENEX_WEBAUTHN_RP_NAME", default="QENEX")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "QENEX_WEBAUTHN_ORIGINS", default=[] if PRODUCTION else [f"http://localhost:{QENEX['api']['port']}"]
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a key is a second factor: the password (and its lockout) comes first
# Four-eyes: operations (by staff or API clients) above this need a second person's approval. Major units; one
# amount for every currency ("10000") or per currency ("USD=10000,EUR=9000,JPY=1500000,*=10000").
QENEX_APPROVAL_THRESHOLD = env.str("QENEX_APPROVAL_THRESHOLD", default="10000")
# Velocity: what one maker moved without approval on an account within this window counts with the next
# operation (seconds, or 30m, 24h, 1d; 0 turns it off). See apps/approvals/policy.py.
QENEX_APPROVAL_VELOCITY_WINDOW = env.str("QENEX_APPROVAL_VELOCITY_WINDOW", default="1d")

# Sanctions screening (apps.compliance.thresholds): the score from which a hit is a potential match, per list
# and optionally per program (``list/PROGRAM=score``; an entry uses the lowest threshold of its programs).
QENEX_SCREENING_THRESHOLDS = env.str("QENEX_SCREENING_THRESHOLDS", default="*=0.86")
# How often a process checks whether a newer list load exists and rebuilds its in-memory index.
QENEX_SCREENING_INDEX_CHECK_SECONDS = env.float("QENEX_SCREENING_INDEX_CHECK_SECONDS", default=5.0)
# KYC (QENEX["compliance"]["kyc_required"]): how much one posting of a customer whose KYC is not verified may move,
# in minor units of the posting's currency (apps.customers.checks); 0: nothing until the customer is verified.
QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR = env.int("QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR", default=0)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("QENEX_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("QENEX_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Probes and the scrape come over plain HTTP to the pod; ProbeMiddleware answers them first, this is the backstop.
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^metrics$"]

# --- Operations endpoints ----------------------------------------------------------------------------
# /metrics: Prometheus sends "Authorization: Bearer <token>" (authorization.credentials_file in its config).
# Production without a token does not serve the metrics at all; development and test serve them openly.
QENEX_METRICS_TOKEN = env.str("QENEX_METRICS_TOKEN", default="")
if PRODUCTION and QENEX_METRICS_TOKEN and len(QENEX_METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("QENEX_METRICS_TOKEN must be at least 32 characters in production")
QENEX_METRICS_REQUIRE_TOKEN = PRODUCTION
# /api/schema/ and /api/docs/: open outside production; in production only MFA-verified staff or an API key.
QENEX_API_DOCS_PUBLIC = not PRODUCTION

# --- Product settings --------------------------------------------------------------------------------
QENEX_VERSION = "0.1.0"
QENEX_FEATURES = QENEX["features"]
# Given but not acted on (workers.*, QENEX_JWT_SECRET): logged as warnings at start-up.
QENEX_UNSUPPORTED_SETTINGS = qenex_config.unsupported_settings()
# Idempotency records are kept this long; a retry after that is a new request.
QENEX_IDEMPOTENCY_TTL_HOURS = env.int("QENEX_IDEMPOTENCY_TTL_HOURS", default=72)
QENEX_DEFAULT_HOLD_SECONDS = env.int("QENEX_DEFAULT_HOLD_SECONDS", default=7 * 24 * 3600)
# Batch posting (POST /api/v1/transactions/batch): most entries in one batch, one database transaction.
QENEX_BATCH_MAX_ENTRIES = env.int("QENEX_BATCH_MAX_ENTRIES", default=10_000)
# How often a process re-reads which GL accounts are hot (high-volume; see apps.ledger.models.AccountBalance).
QENEX_HOT_ACCOUNTS_REFRESH_SECONDS = env.float("QENEX_HOT_ACCOUNTS_REFRESH_SECONDS", default=5.0)
# Audit checkpoints are signed after commit by whatever process writes, once the newest one is this many
# records or seconds behind (apps.audit.services.audit_checkpoint_if_due); verify_audit --strict allows an
# unsigned tail no longer than this.
QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS = env.int("QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS", default=100)
QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS = env.int("QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS", default=60)
if QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS < 1 or QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS < 1:
    raise ImproperlyConfigured("QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS and _SECONDS must be at least 1")
# The audit trail is this many hash chains, each with its own head row, so audited commits of objects in
# different chains do not wait for each other (apps.audit.services). Changing it later is safe: existing
# chains keep verifying, and new records of an object may go to another chain (the global order stays).
QENEX_AUDIT_CHAIN_SHARDS = env.int("QENEX_AUDIT_CHAIN_SHARDS", default=16)
if not 1 <= QENEX_AUDIT_CHAIN_SHARDS <= 1024:
    raise ImproperlyConfigured("QENEX_AUDIT_CHAIN_SHARDS must be between 1 and 1024")
# Largest posting and largest customer balance, in major units: one amount for every currency or per currency
# ("USD=1000000000,*=100000000000"). They keep every balance, the bank's summed GL accounts included, inside a
# 64-bit integer (apps/core/limits.py says how far).
QENEX_MAX_POSTING_AMOUNT = env.str("QENEX_MAX_POSTING_AMOUNT", default="100000000000")
QENEX_MAX_ACCOUNT_BALANCE = env.str("QENEX_MAX_ACCOUNT_BALANCE", default="1000000000000")

# --- Payments (apps/payments; README "Payments") ----------------------------------------------------------
# Where each rail's network (or its sandbox) listens: one URL for all rails or per rail, e.g.
# "*=http://127.0.0.1:8701" or "sepa=http://127.0.0.1:8701,swift=http://127.0.0.1:8702". Empty: nothing is sent.
QENEX_PAYMENTS_NETWORK_URLS = env.str("QENEX_PAYMENTS_NETWORK_URLS", default="")
QENEX_PAYMENTS_BANK_BIC = env.str("QENEX_PAYMENTS_BANK_BIC", default="QNXBDEFFXXX")
QENEX_PAYMENTS_BANK_ABA = env.str("QENEX_PAYMENTS_BANK_ABA", default="121000248")
# USD payments to an ABA routing number above this (major units) go by Fedwire even when "standard".
QENEX_PAYMENTS_FEDWIRE_ABOVE = env.str("QENEX_PAYMENTS_FEDWIRE_ABOVE", default="1000000")
# SCT Inst scheme maximum per payment (EUR, major units).
QENEX_PAYMENTS_SCT_INST_MAX = env.str("QENEX_PAYMENTS_SCT_INST_MAX", default="100000")
# Cross-border: "mt103" (SWIFT FIN) or "pacs008" (CBPR+ pacs.008 with AppHdr).
QENEX_PAYMENTS_SWIFT_FORMAT = env.str("QENEX_PAYMENTS_SWIFT_FORMAT", default="mt103")
# Submission: HTTP timeout (s), attempts before FAILED, first back-off (s, doubling per attempt).
QENEX_PAYMENTS_HTTP_TIMEOUT = env.float("QENEX_PAYMENTS_HTTP_TIMEOUT", default=10.0)
QENEX_PAYMENTS_SUBMIT_ATTEMPTS = env.int("QENEX_PAYMENTS_SUBMIT_ATTEMPTS", default=5)
QENEX_PAYMENTS_RETRY_SECONDS = env.float("QENEX_PAYMENTS_RETRY_SECONDS", default=2.0)
# How often beat reads each rail's acknowledgement feed (s).
QENEX_PAYMENTS_POLL_SECONDS = env.float("QENEX_PAYMENTS_POLL_SECONDS", default=5.0)
# A payment left SUBMITTING (worker lost mid-call) or QUEUED this long (s) is handed to a worker again.
QENEX_PAYMENTS_STALE_SECONDS = env.float("QENEX_PAYMENTS_STALE_SECONDS", default=120.0)
# A payment with the same debtor, amount, currency, creditor and reference as one sent within this window (s)
# is refused with 409 possible_duplicate unless the request says confirm_duplicate: true (0 turns it off).
QENEX_PAYMENTS_DUPLICATE_WINDOW_SECONDS = env.int("QENEX_PAYMENTS_DUPLICATE_WINDOW_SECONDS", default=24 * 3600)
# Fee schedule: "sepa=0.20,sepa_inst=0.50,swift=15.00,swift.urgent=25.00" (payment currency; apps/payments/fees.py).
QENEX_PAYMENTS_FEES = env.str("QENEX_PAYMENTS_FEES", default="")
# Cut-off per rail, local time of its calendar (TARGET2: Berlin; Federal Reserve: New York); later -> next business
# day. SCT Inst has none. apps/payments/business_days.py.
# false: every rail is open every day with no cut-off (sandboxes, the test suite); never in production.
QENEX_PAYMENTS_CALENDARS = env.bool("QENEX_PAYMENTS_CALENDARS", default=True)
if PRODUCTION and not QENEX_PAYMENTS_CALENDARS:
    raise ImproperlyConfigured("QENEX_PAYMENTS_CALENDARS=false is refused in production mode")
QENEX_PAYMENTS_CUTOFFS = env.str("QENEX_PAYMENTS_CUTOFFS", default="sepa=16:00,ach=16:45,fedwire=18:00,swift=17:00")
# ACH: the file's originator fields, the operator's routing number (FedACH), and the ODFI cut-offs (US Eastern)
# at which the queued ACH payments go out in one file ("*" = at every beat tick, for development and tests).
QENEX_PAYMENTS_ACH_COMPANY_NAME = env.str("QENEX_PAYMENTS_ACH_COMPANY_NAME", default="QENEX BANK")
QENEX_PAYMENTS_ACH_COMPANY_ID = env.str("QENEX_PAYMENTS_ACH_COMPANY_ID", default="1121000248")
QENEX_PAYMENTS_ACH_OPERATOR_ROUTING = env.str("QENEX_PAYMENTS_ACH_OPERATOR_ROUTING", default="011000015")
QENEX_PAYMENTS_ACH_CUTOFFS = env.str("QENEX_PAYMENTS_ACH_CUTOFFS", default="10:15,14:30,16:30")
QENEX_PAYMENTS_ACH_SAME_DAY = env.bool("QENEX_PAYMENTS_ACH_SAME_DAY", default=True)
# A payment's hold lives this long (s): longer than any rail takes to settle.
QENEX_PAYMENTS_HOLD_SECONDS = env.int("QENEX_PAYMENTS_HOLD_SECONDS", default=30 * 24 * 3600)
CELERY_BEAT_SCHEDULE["payments-poll-acks"] = {
    "task": "apps.payments.tasks.poll_acks",
    "schedule": QENEX_PAYMENTS_POLL_SECONDS,
}
CELERY_BEAT_SCHEDULE["payments-ach-cutoff"] = {
    "task": "apps.payments.tasks.ach_cutoff",
    "schedule": QENEX_PAYMENTS_POLL_SECONDS,
}

# Card authorisations (apps/cards): an approved authorisation's hold lives this long (s) unless cleared or reversed;
# the issuer host answers within the time budget (ms) or says 91 (issuer unavailable) and changes nothing.
QENEX_CARDS_AUTH_HOLD_SECONDS = env.int("QENEX_CARDS_AUTH_HOLD_SECONDS", default=7 * 24 * 3600)
QENEX_CARDS_TIME_BUDGET_MS = env.int("QENEX_CARDS_TIME_BUDGET_MS", default=2000)
CELERY_BEAT_SCHEDULE["cards-expire-authorisations"] = {
    "task": "apps.cards.tasks.expire_authorisations",
    "schedule": 60.0,
}

# --- Fraud detection (apps/fraud; README "Fraud detection") ----------------------------------------------
# Trained model artifacts (one directory per version); the registry (fraud.ModelVersion) says which is in production.
QENEX_FRAUD_MODEL_DIR = env.path("QENEX_FRAUD_MODEL_DIR", default=str(VAR_DIR / "fraud-models"))
# Calibrated fraud probability at which a transaction is blocked, and at which it goes to the review queue.
QENEX_FRAUD_BLOCK_THRESHOLD = env.float("QENEX_FRAUD_BLOCK_THRESHOLD", default=0.8)
QENEX_FRAUD_REVIEW_THRESHOLD = env.float("QENEX_FRAUD_REVIEW_THRESHOLD", default=0.5)
# What "blocked" means per channel: reject (refused) or hold (an officer releases or rejects it; payments only).
QENEX_FRAUD_BLOCK_ACTIONS = env.str(
    "QENEX_FRAUD_BLOCK_ACTIONS", default="posting=reject,payment=hold,card_authorisation=reject"
)
# How often a process re-reads which model version is in production (s); promoting in this process is immediate.
QENEX_FRAUD_MODEL_REFRESH_SECONDS = env.float("QENEX_FRAUD_MODEL_REFRESH_SECONDS", default=5.0)
# qenex_model_accuracy / qenex_false_positive_rate: computed from the analysts' labels of this many days.
QENEX_FRAUD_METRICS_WINDOW_DAYS = env.int("QENEX_FRAUD_METRICS_WINDOW_DAYS", default=30)
# Retraining (beat `fraud-retrain`, daily at QENEX_FRAUD_RETRAIN_AT UTC): a candidate is trained on the labelled
# history of the last QENEX_FRAUD_RETRAIN_DAYS days (the bank's own, as fraud_export writes it, merged with the
# labelled CSVs of QENEX_FRAUD_RETRAIN_CSVS) except its last QENEX_FRAUD_RETRAIN_TEST_DAYS days plus the label
# delay; both it and the production model score those held-out days, and the candidate is promoted only if its
# average precision and its recall within the alert budget (the QENEX_FRAUD_ALERT_BUDGET share of the transactions
# with the highest scores: what analysts can review) are each no worse than the production model's by more than
# QENEX_FRAUD_RETRAIN_TOLERANCE.
QENEX_FRAUD_RETRAIN_AT = env.str("QENEX_FRAUD_RETRAIN_AT", default="03:15")
QENEX_FRAUD_RETRAIN_DAYS = env.int("QENEX_FRAUD_RETRAIN_DAYS", default=90)
QENEX_FRAUD_RETRAIN_TEST_DAYS = env.int("QENEX_FRAUD_RETRAIN_TEST_DAYS", default=14)
QENEX_FRAUD_RETRAIN_LABEL_DELAY_DAYS = env.int("QENEX_FRAUD_RETRAIN_LABEL_DELAY_DAYS", default=7)
QENEX_FRAUD_RETRAIN_CSVS = env.list("QENEX_FRAUD_RETRAIN_CSVS", default=[])
QENEX_FRAUD_ALERT_BUDGET = env.float("QENEX_FRAUD_ALERT_BUDGET", default=0.005)
QENEX_FRAUD_RETRAIN_TOLERANCE = env.float("QENEX_FRAUD_RETRAIN_TOLERANCE", default=0.0)
CELERY_BEAT_SCHEDULE["fraud-retrain"] = {
    "task": "apps.fraud.tasks.retrain",
    "schedule": crontab(
        hour=int(QENEX_FRAUD_RETRAIN_AT.split(":")[0]), minute=int(QENEX_FRAUD_RETRAIN_AT.split(":")[1])
    ),
}

# --- AML monitoring and reports (apps/compliance; README "AML monitoring, cases and reports") ----------------------
# The sweep evaluates every active rule over what was posted since its last run (windowed rules, and a catch-up of
# the real-time ones); the CTR task drafts yesterday's CTRs (compliance.reporting_enabled false: it does nothing).
QENEX_AML_SWEEP_SECONDS = env.float("QENEX_AML_SWEEP_SECONDS", default=300.0)
CELERY_BEAT_SCHEDULE["aml-monitoring-sweep"] = {
    "task": "apps.compliance.tasks.monitoring_sweep",
    "schedule": QENEX_AML_SWEEP_SECONDS,
}
CELERY_BEAT_SCHEDULE["aml-generate-ctrs"] = {
    "task": "apps.compliance.tasks.generate_ctrs",
    "schedule": crontab(hour=0, minute=30),
}
CELERY_BEAT_SCHEDULE["aml-generate-fbars"] = {  # last year's FBARs, drafted in January for the April 15th due date
    "task": "apps.compliance.tasks.generate_fbars",
    "schedule": crontab(month_of_year=1, day_of_month=15, hour=1, minute=0),
}

# Reconciliation (apps/reconciliation): a statement amount is this sign times the ledger amount of the nostro
# (-1: the bank shows our money with it as a credit, QENEX's NOSTRO posting of a payment out is a credit too).
QENEX_RECONCILIATION_LEDGER_SIGN = env.int("QENEX_RECONCILIATION_LEDGER_SIGN", default=-1)
# The daily run (UTC hour:minute) reconciles every imported statement that has no run yet.
QENEX_RECONCILIATION_DAILY_AT = env.str("QENEX_RECONCILIATION_DAILY_AT", default="06:30")
CELERY_BEAT_SCHEDULE["reconciliation-daily"] = {
    "task": "apps.reconciliation.tasks.reconcile_due",
    "schedule": crontab(
        hour=int(QENEX_RECONCILIATION_DAILY_AT.split(":")[0]), minute=int(QENEX_RECONCILIATION_DAILY_AT.split(":")[1])
    ),
}

# Inbound payments (apps.inbound): a credit whose beneficiary name is less alike the account's name than this
# (0..1, rapidfuzz token sort ratio; 0 = no name check) waits in SUSPENSE for an operator.
QENEX_INBOUND_NAME_MATCH_MIN = env.float("QENEX_INBOUND_NAME_MATCH_MIN", default=0.6)
# Beat reads each rail's inbound feed, sends pending returns and returns overdue exception items this often (s).
QENEX_INBOUND_POLL_SECONDS = env.float("QENEX_INBOUND_POLL_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE["inbound-tick"] = {
    "task": "apps.inbound.tasks.inbound_tick",
    "schedule": QENEX_INBOUND_POLL_SECONDS,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("QENEX_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# FX dealing desk (apps.treasury): the liquidity provider QENEX connects to over FIX 4.4 as the initiator.
QENEX_FX_LP_HOST = env.str("QENEX_FX_LP_HOST", default="127.0.0.1")
QENEX_FX_LP_PORT = env.int("QENEX_FX_LP_PORT", default=9878)
QENEX_FX_FIX_STORE_DIR = env.str("QENEX_FX_FIX_STORE_DIR", default=str(BASE_DIR / "var" / "fix-qenex"))
QENEX_FX_PAIRS = env.list("QENEX_FX_PAIRS", default=["EURUSD", "GBPUSD", "USDJPY", "EURGBP", "USDCHF"])
# Our markup over the LP's price, in basis points, and how long a customer quote is firm (seconds).
QENEX_FX_MARKUP_BP = env.int("QENEX_FX_MARKUP_BP", default=20)
QENEX_FX_QUOTE_TTL_SECONDS = env.int("QENEX_FX_QUOTE_TTL_SECONDS", default=10)
# How long an accept waits for the hedge's ExecutionReport; a deal still HEDGE_PENDING this many seconds after its
# last change is the sweeper's (beat `treasury-hedge-sweep`): it asks the LP for the order's status, then records
# the fill or resends the order with the same ClOrdID.
QENEX_FX_ORDER_TIMEOUT_SECONDS = env.float("QENEX_FX_ORDER_TIMEOUT_SECONDS", default=15.0)
QENEX_FX_HEDGE_SWEEP_AFTER_SECONDS = env.int("QENEX_FX_HEDGE_SWEEP_AFTER_SECONDS", default=60)
QENEX_FX_HEDGE_SWEEP_EVERY_SECONDS = env.float("QENEX_FX_HEDGE_SWEEP_EVERY_SECONDS", default=30.0)
# Settlement of LP trades (a hedge fill): we pay the LP what we sold it through the payment gateway, from our
# FX_POSITION account of that currency to the LP's account number there by SWIFT ("USD=400100200,EUR=400100300"), and
# confirm each deal with an MT300 to the LP's BIC. A currency without an LP account is not paid (a FAILED settlement).
QENEX_FX_LP_NAME = env.str("QENEX_FX_LP_NAME", default="QENEX LP Simulator")
QENEX_FX_LP_BIC = env.str("QENEX_FX_LP_BIC", default="LPBKGB2LXXX")
QENEX_FX_LP_COUNTRY = env.str("QENEX_FX_LP_COUNTRY", default="GB")
QENEX_FX_LP_ACCOUNTS = env.dict(
    "QENEX_FX_LP_ACCOUNTS",
    default={
        "USD": "400100200",
        "EUR": "400100300",
        "GBP": "400100400",
        "JPY": "400100500",
        "CHF": "400100600",
    },
)
# End-of-day position report (UTC hour:minute).
QENEX_FX_EOD_AT = env.str("QENEX_FX_EOD_AT", default="22:00")
CELERY_BEAT_SCHEDULE["treasury-eod-position-report"] = {
    "task": "apps.treasury.tasks.eod_position_report",
    "schedule": crontab(hour=int(QENEX_FX_EOD_AT.split(":")[0]), minute=int(QENEX_FX_EOD_AT.split(":")[1])),
}
CELERY_BEAT_SCHEDULE["treasury-hedge-sweep"] = {
    "task": "apps.treasury.tasks.hedge_pending",
    "schedule": QENEX_FX_HEDGE_SWEEP_EVERY_SECONDS,
}

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Event stream (apps.events): the outbox relay publishes to Kafka when a bootstrap is set; the API reads it always.
QENEX_KAFKA_BOOTSTRAP = env.str("QENEX_KAFKA_BOOTSTRAP", default="")
QENEX_KAFKA_TOPIC = env.str("QENEX_KAFKA_TOPIC", default="qenex.events")
QENEX_KAFKA_PARTITIONS = env.int("QENEX_KAFKA_PARTITIONS", default=3)
QENEX_WEBHOOK_RETRY_BASE_SECONDS = env.int("QENEX_WEBHOOK_RETRY_BASE_SECONDS", default=10)
QENEX_WEBHOOK_RETRY_MAX_SECONDS = env.int("QENEX_WEBHOOK_RETRY_MAX_SECONDS", default=3600)
QENEX_WEBHOOK_MAX_ATTEMPTS = env.int("QENEX_WEBHOOK_MAX_ATTEMPTS", default=8)
QENEX_WEBHOOK_TIMEOUT_SECONDS = env.int("QENEX_WEBHOOK_TIMEOUT_SECONDS", default=10)
QENEX_WEBHOOK_ALLOW_HTTP = env.bool("QENEX_WEBHOOK_ALLOW_HTTP", default=not PRODUCTION)
CELERY_BEAT_SCHEDULE["events-webhooks-tick"] = {"task": "apps.events.tasks.webhooks_tick", "schedule": 5.0}
# Outbox pruning (beat `events-outbox-prune`): rows relayed to Kafka and older than the retention are deleted,
# QENEX_EVENTS_PRUNE_BATCH_SIZE per transaction, at most QENEX_EVENTS_PRUNE_MAX_BATCHES per run. Readers of
# GET /api/v1/events further behind than the retention miss the pruned rows.
QENEX_EVENTS_OUTBOX_RETENTION_DAYS = env.int("QENEX_EVENTS_OUTBOX_RETENTION_DAYS", default=7)
QENEX_EVENTS_PRUNE_BATCH_SIZE = env.int("QENEX_EVENTS_PRUNE_BATCH_SIZE", default=1000)
QENEX_EVENTS_PRUNE_MAX_BATCHES = env.int("QENEX_EVENTS_PRUNE_MAX_BATCHES", default=100)
CELERY_BEAT_SCHEDULE["events-outbox-prune"] = {"task": "apps.events.tasks.outbox_prune", "schedule": 3600.0}

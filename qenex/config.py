"""QENEX configuration: the seed's ``config.json`` shape, overridden by ``QENEX_*`` environment variables.

Order of precedence (last wins): built-in defaults, the JSON file named by ``QENEX_CONFIG`` (or
``--config FILE`` on ``manage.py``), then environment variables. Anything unknown or of the wrong type
stops start-up with a :class:`ConfigError` that names the key, because a bank would rather not start
than run with a setting it silently ignored.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """The configuration file or environment holds an unknown key or an invalid value."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _port(value: Any) -> bool:
    return _is_int(value) and 1 <= value <= 65535


def _positive_int(value: Any) -> bool:
    return _is_int(value) and value > 0


def _non_negative_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and value >= 0


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _optional_string(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


# section -> key -> (validator, description of what is expected)
SCHEMA: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "database": {
        "host": (_string, "a host name"),
        "port": (_port, "a port number 1-65535"),
        "user": (_string, "a user name"),
        "password": (_string, "a string"),
        "database": (_string, "a database name"),
        "pool_size": (_positive_int, "a positive integer"),
        "redis_host": (_string, "a host name"),
        "redis_port": (_port, "a port number 1-65535"),
    },
    "api": {
        "host": (_string, "an address to bind"),
        "port": (_port, "a port number 1-65535"),
        "ssl_cert": (_optional_string, "a file path"),
        "ssl_key": (_optional_string, "a file path"),
    },
    "metrics": {
        "port": (_port, "a port number 1-65535"),
        "enabled": (_bool, "true or false"),
    },
    "workers": {
        "transaction_processors": (_positive_int, "a positive integer"),
        "payment_handlers": (_positive_int, "a positive integer"),
        "ai_workers": (_positive_int, "a positive integer"),
    },
    "features": {
        "fraud_detection": (_bool, "true or false"),
        "risk_assessment": (_bool, "true or false"),
        "self_improvement": (_bool, "true or false"),
        "real_time_processing": (_bool, "true or false"),
    },
    "compliance": {
        "aml_threshold": (_non_negative_number, "a non-negative amount"),
        "kyc_required": (_bool, "true or false"),
        "transaction_monitoring": (_bool, "true or false"),
        "reporting_enabled": (_bool, "true or false"),
    },
    "security": {
        "encryption_algorithm": (lambda v: v == "AES-256-GCM", 'the only supported value, "AES-256-GCM"'),
        "key_rotation_days": (_positive_int, "a positive integer"),
        "session_timeout_minutes": (_positive_int, "a positive integer"),
        "max_login_attempts": (_positive_int, "a positive integer"),
    },
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "database": {"pool_size": 20, "redis_host": "localhost", "redis_port": 6379},
    "api": {"host": "127.0.0.1", "port": 8080, "ssl_cert": None, "ssl_key": None},
    "metrics": {"port": 9090, "enabled": True},
    "workers": {"transaction_processors": 8, "payment_handlers": 4, "ai_workers": 2},
    "features": {
        "fraud_detection": True,
        "risk_assessment": True,
        "self_improvement": False,
        "real_time_processing": True,
    },
    "compliance": {
        "aml_threshold": 10000,
        "kyc_required": True,
        "transaction_monitoring": True,
        "reporting_enabled": True,
    },
    "security": {
        "encryption_algorithm": "AES-256-GCM",
        "key_rotation_days": 30,
        "session_timeout_minutes": 30,
        "max_login_attempts": 3,
    },
}

# environment variable -> (section, key, parser)
ENV_OVERRIDES: dict[str, tuple[str, str, str]] = {
    "QENEX_DB_HOST": ("database", "host", "str"),
    "QENEX_DB_PORT": ("database", "port", "int"),
    "QENEX_DB_USER": ("database", "user", "str"),
    "QENEX_DB_PASSWORD": ("database", "password", "str"),
    "QENEX_DB_NAME": ("database", "database", "str"),
    "QENEX_DB_POOL_SIZE": ("database", "pool_size", "int"),
    "QENEX_REDIS_HOST": ("database", "redis_host", "str"),
    "QENEX_REDIS_PORT": ("database", "redis_port", "int"),
    "QENEX_API_HOST": ("api", "host", "str"),
    "QENEX_API_PORT": ("api", "port", "int"),
    "QENEX_METRICS_ENABLED": ("metrics", "enabled", "bool"),
    "QENEX_METRICS_PORT": ("metrics", "port", "int"),
    "QENEX_ENABLE_FRAUD_DETECTION": ("features", "fraud_detection", "bool"),
    "QENEX_ENABLE_RISK_ASSESSMENT": ("features", "risk_assessment", "bool"),
    "QENEX_AML_THRESHOLD": ("compliance", "aml_threshold", "int"),
    "QENEX_KYC_REQUIRED": ("compliance", "kyc_required", "bool"),
    "QENEX_SESSION_TIMEOUT_MINUTES": ("security", "session_timeout_minutes", "int"),
    "QENEX_MAX_LOGIN_ATTEMPTS": ("security", "max_login_attempts", "int"),
    "QENEX_KEY_ROTATION_DAYS": ("security", "key_rotation_days", "int"),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_env_value(name: str, raw: str, kind: str) -> Any:
    if kind == "str":
        return raw
    if kind == "int":
        try:
            return int(raw.strip())
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not an integer") from None
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def validate(config: Mapping[str, Any], *, source: str) -> None:
    """Raise ConfigError naming the first unknown section/key or invalid value in ``config``."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"{source}: the top level must be a JSON object")
    for section, values in config.items():
        if section not in SCHEMA:
            raise ConfigError(f"{source}: unknown section {section!r} (known: {', '.join(sorted(SCHEMA))})")
        if not isinstance(values, Mapping):
            raise ConfigError(f"{source}: section {section!r} must be an object")
        for key, value in values.items():
            if key not in SCHEMA[section]:
                known = ", ".join(sorted(SCHEMA[section]))
                raise ConfigError(f"{source}: unknown key {section}.{key} (known in {section}: {known})")
            check, expected = SCHEMA[section][key]
            if not check(value):
                raise ConfigError(f"{source}: {section}.{key}={value!r} is invalid: expected {expected}")


def load_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a JSON config file."""
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file_path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file_path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    validate(data, source=str(file_path))
    return data


def build_config(
    file_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Merge defaults, an already-validated file config and environment overrides."""
    environ = os.environ if environ is None else environ
    merged: dict[str, dict[str, Any]] = copy.deepcopy(DEFAULTS)
    for section in SCHEMA:
        merged.setdefault(section, {})
    for section, values in (file_config or {}).items():
        merged[section].update(values)
    for name, (section, key, kind) in ENV_OVERRIDES.items():
        if name in environ and environ[name] != "":
            value = _parse_env_value(name, environ[name], kind)
            check, expected = SCHEMA[section][key]
            if not check(value):
                raise ConfigError(f"{name}={environ[name]!r} is invalid: expected {expected}")
            merged[section][key] = value
    return merged


def load(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Load the effective configuration: defaults, then ``QENEX_CONFIG`` file, then env."""
    environ = os.environ if environ is None else environ
    path = environ.get("QENEX_CONFIG")
    file_config = load_file(path) if path else None
    return build_config(file_config, environ)


# Settings the seed's config.json and environment name that QENEX accepts, so the seed's files load, but does not
# act on. Start-up logs a warning for each one that is given (apps.core.apps), so nobody believes it works.
UNSUPPORTED_KEYS: dict[tuple[str, str], str] = {
    ("workers", "transaction_processors"): "postings run in the web processes: scale the web replicas; the Celery "
    "worker's concurrency is its --concurrency option",
    ("workers", "payment_handlers"): "there is no payment-handler pool",
    ("workers", "ai_workers"): "there are no AI workers",
}
UNSUPPORTED_ENV: dict[str, str] = {
    "QENEX_JWT_SECRET": "QENEX issues no JWTs: machine clients use API keys, staff use sessions with MFA",
}


def var_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory QENEX writes to (pid file, log, metrics files, SQLite): ``QENEX_VAR_DIR`` or ``var/``."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("QENEX_VAR_DIR") or Path(__file__).resolve().parent.parent / "var")


def unsupported_settings(environ: Mapping[str, str] | None = None) -> list[str]:
    """Return one plain sentence per unsupported setting given in the config file or the environment."""
    environ = os.environ if environ is None else environ
    path = environ.get("QENEX_CONFIG")
    file_config = load_file(path) if path else {}
    messages = [
        f"{section}.{key} is set but not supported, it does nothing: {why}"
        for (section, key), why in UNSUPPORTED_KEYS.items()
        if key in file_config.get(section, {})
    ]
    messages += [f"{name} is set but not supported, it does nothing: {why}" for name, why in UNSUPPORTED_ENV.items()
                 if environ.get(name)]
    return messages


def file_declares_database(environ: Mapping[str, str] | None = None) -> bool:
    """True when the config file has a ``database`` section naming a host: use PostgreSQL, not SQLite."""
    environ = os.environ if environ is None else environ
    path = environ.get("QENEX_CONFIG")
    if not path:
        return False
    return "host" in load_file(path).get("database", {})


def extract_config_argument(argv: list[str]) -> list[str]:
    """Remove ``--config FILE`` / ``--config=FILE`` from argv, exporting it as ``QENEX_CONFIG``."""
    result: list[str] = []
    iterator = iter(range(len(argv)))
    skip = False
    for index in iterator:
        if skip:
            skip = False
            continue
        arg = argv[index]
        if arg == "--config":
            if index + 1 >= len(argv):
                raise ConfigError("--config needs a file path")
            os.environ["QENEX_CONFIG"] = argv[index + 1]
            skip = True
        elif arg.startswith("--config="):
            os.environ["QENEX_CONFIG"] = arg.split("=", 1)[1]
        else:
            result.append(arg)
    return result

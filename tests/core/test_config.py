"""Configuration: the seed's config.json shape, env overrides, and clear start-up errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qenex import config

ROOT = Path(__file__).resolve().parents[2]

SEED_CONFIG = {
    "database": {
        "host": "localhost",
        "port": 5432,
        "user": "qenex",
        "password": "your_secure_password",
        "database": "qenex_financial",
        "pool_size": 20,
        "redis_host": "localhost",
        "redis_port": 6379,
    },
    "api": {"host": "0.0.0.0", "port": 8080, "ssl_cert": "/path/to/cert.pem", "ssl_key": "/path/to/key.pem"},
    "metrics": {"port": 9090, "enabled": True},
    "workers": {"transaction_processors": 8, "payment_handlers": 4, "ai_workers": 2},
    "features": {
        "fraud_detection": True,
        "risk_assessment": True,
        "self_improvement": True,
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


def write(tmp_path, data) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_seed_config_file_is_accepted(tmp_path):
    loaded = config.load({"QENEX_CONFIG": str(write(tmp_path, SEED_CONFIG))})
    assert loaded["database"]["database"] == "qenex_financial"
    assert loaded["security"]["max_login_attempts"] == 3


def test_env_overrides_file(tmp_path):
    env = {
        "QENEX_CONFIG": str(write(tmp_path, SEED_CONFIG)),
        "QENEX_DB_HOST": "db.internal",
        "QENEX_API_PORT": "9000",
        "QENEX_ENABLE_FRAUD_DETECTION": "false",
    }
    loaded = config.load(env)
    assert (loaded["database"]["host"], loaded["api"]["port"], loaded["features"]["fraud_detection"]) == (
        "db.internal",
        9000,
        False,
    )


def test_defaults_without_file():
    loaded = config.load({})
    assert loaded["api"]["port"] == 8080 and loaded["api"]["host"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"databse": {}}, "unknown section 'databse'"),
        ({"database": {"hostname": "x"}}, "unknown key database.hostname"),
        ({"database": {"port": "5432"}}, "database.port='5432' is invalid"),
        ({"api": {"port": 70000}}, "api.port=70000 is invalid"),
        ({"features": {"fraud_detection": "yes"}}, "features.fraud_detection='yes' is invalid"),
        ({"security": {"encryption_algorithm": "DES"}}, "encryption_algorithm='DES' is invalid"),
        ({"security": {"max_login_attempts": 0}}, "max_login_attempts=0 is invalid"),
        ([1, 2], "top level must be a JSON object"),
        ("{not json", "invalid JSON at line 1"),
    ],
)
def test_invalid_config_file_names_the_problem(tmp_path, data, message):
    with pytest.raises(config.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config.load({"QENEX_CONFIG": str(write(tmp_path, data))})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"QENEX_API_PORT": "eighty"}, "not an integer"),
        ({"QENEX_ENABLE_FRAUD_DETECTION": "maybe"}, "not a boolean"),
        ({"QENEX_DB_PORT": "0"}, "is invalid"),
    ],
)
def test_invalid_env_values(env, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load(env)


def test_missing_config_file():
    with pytest.raises(config.ConfigError, match="cannot read config file"):
        config.load({"QENEX_CONFIG": "/nonexistent/config.json"})


def test_config_argument_is_taken_from_argv(monkeypatch):
    # setenv first so monkeypatch restores the original (absent) value after extract_config_argument writes it
    monkeypatch.setenv("QENEX_CONFIG", "placeholder")
    assert config.extract_config_argument(["manage.py", "--config", "c.json", "check"]) == ["manage.py", "check"]
    assert os.environ["QENEX_CONFIG"] == "c.json"
    assert config.extract_config_argument(["manage.py", "--config=d.json"]) == ["manage.py"]
    assert os.environ["QENEX_CONFIG"] == "d.json"
    with pytest.raises(config.ConfigError):
        config.extract_config_argument(["manage.py", "--config"])


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QENEX_", "DJANGO_", "DATABASE_URL"))}
    base["QENEX_VAR_DIR"] = env.pop("QENEX_VAR_DIR", "/tmp/qenex-config-test")
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_production_without_secret_key_refuses_to_start():
    result = manage("check", env={})
    assert result.returncode == 2
    assert "QENEX_SECRET_KEY is not set" in result.stderr


def test_production_refuses_debug_and_short_keys():
    assert "refused in production" in manage("check", env={"QENEX_DEBUG": "true", "QENEX_SECRET_KEY": "x" * 60}).stderr
    assert "at least 50 characters" in manage("check", env={"QENEX_SECRET_KEY": "short"}).stderr


def test_bad_config_file_stops_manage_py_with_a_clear_message(tmp_path):
    path = write(tmp_path, {"api": {"port": "8080"}})
    result = manage("--config", str(path), "check", env={"QENEX_ENV": "development"})
    assert result.returncode == 2
    assert "api.port='8080' is invalid" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    import secrets

    from apps.audit.signing import write_key_file

    write_key_file(tmp_path / "audit.key")  # production refuses to run without an audit signing key
    env = {
        "QENEX_SECRET_KEY": secrets.token_urlsafe(64),
        "QENEX_ALLOWED_HOSTS": "bank.example",
        "QENEX_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "audit.key"),
        "QENEX_WEBAUTHN_RP_ID": "bank.example",  # security keys: production has no default relying party
        "QENEX_WEBAUTHN_ORIGINS": "https://bank.example",
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_mode_runs_on_sqlite_without_any_service(tmp_path):
    result = manage("check", env={"QENEX_ENV": "development", "QENEX_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_seed_settings_that_do_nothing_are_named_at_start_up(tmp_path):
    path = write(tmp_path, SEED_CONFIG)
    result = manage("--config", str(path), "check", env={"QENEX_ENV": "development", "QENEX_VAR_DIR": str(tmp_path),
                                                          "QENEX_JWT_SECRET": "your-jwt-secret-here"})
    assert result.returncode == 0, result.stderr
    assert "metrics.port is set but not supported" not in result.stderr  # main.py serves the metrics there
    for name in ("workers.transaction_processors", "workers.payment_handlers", "workers.ai_workers",
                 "QENEX_JWT_SECRET"):
        assert f"WARNING qenex.config {name} is set but not supported" in result.stderr, name
    quiet = manage("check", env={"QENEX_ENV": "development", "QENEX_VAR_DIR": str(tmp_path)})
    assert "not supported" not in quiet.stderr


def test_database_pool_size_bounds_the_connection_pool(db, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (psycopg_pool)")
    assert connection.settings_dict["OPTIONS"]["pool"]["max_size"] == settings.QENEX["database"]["pool_size"]
    assert connection.pool.max_size == settings.QENEX["database"]["pool_size"]
    assert connection.settings_dict["CONN_MAX_AGE"] == 0


def test_pool_size_from_the_environment_reaches_the_pool(tmp_path):
    code = "from django.db import connection as c; print(c.settings_dict['OPTIONS']['pool']['max_size'])"
    env = {"QENEX_ENV": "development", "QENEX_VAR_DIR": str(tmp_path), "QENEX_DB_POOL_SIZE": "7",
           "DATABASE_URL": "postgres://qenex@127.0.0.1:5432/qenex"}
    result = manage("shell", "-c", code, env=env)
    assert result.stdout.strip().splitlines()[-1] == "7", result.stdout + result.stderr

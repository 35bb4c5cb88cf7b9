"""The seed's SDK example, run as a user would: a separate process, the database its config names."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def _admin_dsn() -> str | None:
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        return None
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"host={host} port={port} user={settings['USER']} dbname=postgres"


@pytest.fixture
def sdk_database():
    """A role and database of this test's own, never the seed's `qenex_financial`.

    A user who followed README has real data in `qenex_financial`; a test must never drop or change a
    database it did not create. So this run creates `test_qenex_sdk_<pid>` with its own role, runs the
    seed's script with only those names substituted, and drops exactly what it created.
    """
    dsn = _admin_dsn()
    if dsn is None:
        pytest.skip("needs PostgreSQL")
    name = f"test_qenex_sdk_{os.getpid()}"
    password = secrets.token_hex(16)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(name)))
    try:
        yield name, password
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def _script_for(name: str, password: str) -> str:
    """The seed's example with its user, password and database name pointed at this test's own."""
    script = (ROOT / "examples" / "sdk_quickstart.py").read_text()
    assert "from qenex.kernel import FinancialKernel, TransactionType" in script
    for seed_value, ours in (
        ("'database': 'qenex_financial'", f"'database': {name!r}"),
        ("'user': 'qenex'", f"'user': {name!r}"),
        ("'password': 'secure_password'", f"'password': {password!r}"),
    ):
        assert script.count(seed_value) == 1, seed_value
        script = script.replace(seed_value, ours)
    return script


def test_seed_sdk_example_runs_with_only_its_import_changed(sdk_database, tmp_path):
    name, password = sdk_database
    script_path = tmp_path / "sdk_quickstart.py"
    script_path.write_text(_script_for(name, password))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "QENEX_", "DJANGO_"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, str(script_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("Transaction txn_") and lines[0].endswith(" completed")
    assert lines[1:] == ["Account 1: $9500.00", "Account 2: $500.00"]
    # The money really is in the database the config named.
    with psycopg.connect(f"host=127.0.0.1 user={name} password={password} dbname={name}") as conn:
        rows = conn.execute("SELECT count(*), sum(amount_minor) FROM ledger_posting").fetchone()
    assert rows == (4, 0)

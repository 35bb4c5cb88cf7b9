"""The seed's SDK example, run as a user would: a separate process, the database its config names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _admin_dsn() -> str | None:
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        return None
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"host={host} port={port} user={settings['USER']} dbname=postgres"


@pytest.fixture
def seed_database():
    """Create the role and database the seed's config names (qenex / secure_password / qenex_financial).

    The name is fixed by the seed's example, so two test runs on one server would drop each other's
    database: an advisory lock, held for the whole test, makes them take turns.
    """
    dsn = _admin_dsn()
    if dsn is None:
        pytest.skip("needs PostgreSQL")
    turn = psycopg.connect(dsn, autocommit=True)
    turn.execute("SELECT pg_advisory_lock(hashtext('qenex_financial test'))")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS qenex_financial WITH (FORCE)")
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'qenex'").fetchone():
            conn.execute("CREATE ROLE qenex LOGIN PASSWORD 'secure_password'")
        conn.execute("CREATE DATABASE qenex_financial OWNER qenex")
    try:
        yield
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS qenex_financial WITH (FORCE)")
        turn.close()  # releases the advisory lock


def test_seed_sdk_example_runs_with_only_its_import_changed(seed_database, tmp_path):
    script = (ROOT / "examples" / "sdk_quickstart.py").read_text()
    assert "from qenex.kernel import FinancialKernel, TransactionType" in script
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "QENEX_", "DJANGO_"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "sdk_quickstart.py")],
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
    with psycopg.connect("host=127.0.0.1 user=qenex password=secure_password dbname=qenex_financial") as conn:
        rows = conn.execute("SELECT count(*), sum(amount_minor) FROM ledger_posting").fetchone()
    assert rows == (4, 0)

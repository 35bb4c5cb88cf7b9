"""A trail written as one chain (before migration 0003) still verifies after it, as shard 0, with its checkpoints.

A scratch database is migrated to ``audit 0002``; records are appended the way the single-chain service did
(gap-free ``sequence``, hash format v1, the one head row) and a v1 checkpoint is signed; then ``migrate`` runs
to the end and ``verify_audit`` must find the old trail intact, new records appended to shards, and an edit of
an old record.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from django.db import connection

from apps.audit import signing
from apps.audit.chain import GENESIS_HASH, record_hash
from apps.audit.services import checkpoint_message

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = "qenex_audit_shard_migration"


def _url(name: str) -> str:
    settings = connection.settings_dict
    netloc = f"{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return urlunparse(urlparse(f"postgres://{netloc}/")._replace(path="/" + name))


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


MIGRATE = """
import sys, django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
executor = MigrationExecutor(connection)
targets = [tuple(sys.argv[1:])] if len(sys.argv) > 1 else executor.loader.graph.leaf_nodes()
executor.migrate(targets)
"""


def _migrate(*target: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Apply migrations up to ``target`` (app, name), or all: without post_migrate (no roles, so no records)."""
    return subprocess.run(
        [sys.executable, "-c", MIGRATE, *target],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "qenex.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def scratch(on_postgresql, signing_key_file):
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {SCRATCH}")
    env = {**os.environ, "DATABASE_URL": _url(SCRATCH), "QENEX_ENV": "development"}
    yield env
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


def _append_as_one_chain(db: psycopg.Connection, n: int) -> tuple[int, str]:
    """Append ``n`` records exactly as the single-chain service did; return the head (sequence, hash)."""
    with db.transaction():
        sequence, prev = db.execute(
            "SELECT sequence, hash FROM audit_auditchainhead WHERE id = 1 FOR UPDATE"
        ).fetchone()
        for _ in range(n):
            sequence += 1
            fields = {
                "shard_sequence": sequence,
                "occurred_at": dt.datetime.now(dt.UTC).replace(microsecond=sequence),
                "actor": "system",
                "actor_user_id": None,
                "actor_api_client_id": None,
                "action": "legacy.step",
                "object_type": "thing",
                "object_id": f"t{sequence}",
                "before": None,
                "after": {"n": sequence},
                "request_id": "",
                "source_ip": "",
                "prev_hash": prev,
            }
            prev = record_hash(chain_format=1, shard=0, **fields)
            db.execute(
                "INSERT INTO audit_auditrecord (sequence, occurred_at, actor, action, object_type, object_id, after,"
                " request_id, source_ip, prev_hash, hash) VALUES (%s, %s, 'system', 'legacy.step', 'thing', %s,"
                " %s::jsonb, '', '', %s, %s)",
                [
                    sequence,
                    fields["occurred_at"],
                    fields["object_id"],
                    f'{{"n": {sequence}}}',
                    fields["prev_hash"],
                    prev,
                ],
            )
            db.execute("UPDATE audit_auditchainhead SET sequence = %s, hash = %s WHERE id = 1", [sequence, prev])
    return sequence, prev


def test_a_single_chain_trail_still_verifies_after_the_shard_migration(scratch):
    before = _migrate("audit", "0002_append_only", env=scratch)
    assert before.returncode == 0, before.stderr
    with psycopg.connect(scratch["DATABASE_URL"], autocommit=True) as db:
        assert db.execute("SELECT sequence, hash FROM audit_auditchainhead").fetchall() == [(0, GENESIS_HASH)]
        sequence, head_hash = _append_as_one_chain(db, 6)
        key = signing.signing_key()
        public_raw = key.public_key().public_bytes_raw()
        created_at = dt.datetime.now(dt.UTC)
        message = checkpoint_message(
            sequence=sequence,
            chain_hash=head_hash,
            created_at=created_at,
            key_fingerprint=signing.fingerprint(public_raw),
        )  # a v1 checkpoint: the message had no heads
        db.execute(
            "INSERT INTO audit_auditcheckpoint (sequence, chain_hash, created_at, algorithm, key_fingerprint,"
            " public_key, signature) VALUES (%s, %s, %s, 'ML-DSA-65', %s, %s, %s)",
            [sequence, head_hash, created_at, signing.fingerprint(public_raw), public_raw.hex(),
             key.sign(message, signing.SIGNATURE_CONTEXT).hex()],
        )  # fmt: skip
        _append_as_one_chain(db, 2)

    migrated = _migrate(env=scratch)
    assert migrated.returncode == 0, migrated.stderr
    verified = _manage("verify_audit", env=scratch)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit trail intact: 8 record(s) in 1 chain shard(s) and 1 checkpoint(s) checked" in verified.stdout
    assert "no checkpoint covers 2 record(s): shard 0 records 7..8" in verified.stdout

    with psycopg.connect(scratch["DATABASE_URL"], autocommit=True) as db:
        rows = db.execute("SELECT sequence, shard, shard_sequence, chain_format FROM audit_auditrecord ORDER BY 1")
        assert rows.fetchall() == [(n, 0, n, 1) for n in range(1, 9)]
        assert db.execute("SELECT id, sequence, record_sequence FROM audit_auditchainhead").fetchall() == [(0, 8, 8)]
    appended = _manage(
        "shell", "-c",
        "from apps.audit.services import audit_record, audit_checkpoint_create\n"
        "for i in range(20): audit_record(action='new.step', object_type='thing', object_id=f'n{i}')\n"
        "audit_checkpoint_create()",
        env=scratch,
    )  # fmt: skip
    assert appended.returncode == 0, appended.stderr
    verified = _manage("verify_audit", "--strict", env=scratch)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit trail intact: 28 record(s)" in verified.stdout

    with psycopg.connect(scratch["DATABASE_URL"], autocommit=True) as db, db.transaction():
        db.execute("SET LOCAL session_replication_role = replica")
        db.execute("UPDATE audit_auditrecord SET actor = 'mallory' WHERE sequence = 3")
        # new records continue the global order after the old ones
        assert db.execute("SELECT min(sequence) FROM audit_auditrecord WHERE chain_format = 2").fetchone() == (9,)
    broken = _manage("verify_audit", env=scratch)
    assert broken.returncode == 1
    assert "[record_altered] shard 0: record 3 was altered" in broken.stdout

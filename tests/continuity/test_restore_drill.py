"""The restore drill (docs/runbooks/restore.md), end to end on throwaway clusters.

A primary on its own port archives its WAL encrypted (scripts/wal_archive.sh). The QENEX schema is migrated into
it and money moves through the ledger's services (accounts, deposits, transfers, each audited). ``manage.py
backup`` takes an encrypted base backup; more is posted; a target time is noted; more is posted after it. A second
cluster is restored from the encrypted base backup and the encrypted WAL archive to that point in time. On it:
every currency sums to zero, cached balances equal their postings, the audit chain verifies
(``manage.py restore_check`` = the ledger rules + ``verify_audit``), everything posted before the target is there
and nothing posted after it is.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from tests.continuity.clusters import (
    Clusters,
    archiving,
    backup_key_file,
    chown_to_server,
    configure,
    server_script,
    wait_archived,
    worker,
)
from tests.throwaway import app_env, manage, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def clusters():
    made = Clusters()
    yield made
    made.destroy()


def _count(cluster, ids: list[str]) -> int:
    listed = ",".join(f"'{i}'" for i in ids)
    return int(cluster.psql(f"SELECT COUNT(*) FROM ledger_journalentry WHERE public_id IN ({listed})", "qenex"))


def test_point_in_time_restore_of_an_encrypted_backup_is_a_consistent_ledger_up_to_the_target(clusters, tmp_path):
    primary = clusters.new()
    primary.init()
    archive = primary.base / "wal-archive"
    backups = primary.base / "backups"
    archive.mkdir()
    backups.mkdir()
    key = backup_key_file(primary.base)
    chown_to_server(primary, archive, key)
    archiving(primary, archive, key)
    primary.start()
    primary.psql("CREATE DATABASE qenex")
    var = tmp_path / "var"  # shared by both: it holds the audit signing key, escrowed apart from the backups
    env = app_env(primary.url("qenex"), var, REDIS_URL="", QENEX_SECRET_KEY="drill-" + "k" * 50)
    manage(env, "migrate", "--noinput", "-v0")

    accounts = worker(env, "open", "drill", "3")
    before_backup = worker(env, "post", "before-backup", "12", *accounts)
    backup_env = {**env, "QENEX_BACKUP_KEY_FILE": str(key), "QENEX_PG_BIN": str(primary.bin)}
    out = manage(backup_env, "backup", "--dest", str(backups))
    assert "backup qenex-" in out, out
    (backup_dir,) = backups.iterdir()
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["files"][0]["name"] == "base.tar.gpg" and manifest["wal_start"], manifest
    # Encrypted at rest: no table data in the clear (an account id is in the ledger's pages in plain text).
    assert accounts[0].encode() not in (backup_dir / "base.tar.gpg").read_bytes()
    wait_archived(primary)
    assert b"ledger_posting" not in max(archive.iterdir()).read_bytes()

    after_backup = worker(env, "post", "after-backup", "9", *accounts)
    time.sleep(1.2)
    target = primary.psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.2)
    after_target = worker(env, "post", "after-target", "6", *accounts)
    wait_archived(primary)
    primary.stop()  # the primary is "lost"; the restore uses only the backup directory, the archive and the key

    restored = clusters.new()
    manage({**backup_env, "DATABASE_URL": ""}, "restore_base", str(backup_dir), str(restored.data))
    (restored.data / "recovery.signal").touch()
    configure(
        restored,
        restore_command=f"{server_script(restored, 'wal_restore.sh')} %f %p {archive} {key}",
        recovery_target_time=target,
        recovery_target_action="promote",
        archive_mode="off",  # a drill must not write into the production archive
    )
    chown_to_server(restored, restored.base)
    os.chmod(restored.data, 0o700)
    restored.start()
    wait_for(lambda: restored.psql("SELECT pg_is_in_recovery()") == "f", "the restored cluster to promote", 90)

    restored_env = {**env, "DATABASE_URL": restored.url("qenex")}
    out = manage(restored_env, "restore_check")
    assert "ledger consistent" in out and "audit trail intact" in out, out
    assert _count(restored, before_backup) == len(before_backup)
    assert _count(restored, after_backup) == len(after_backup)  # posted after the base backup: replayed from WAL
    assert _count(restored, after_target) == 0
    assert restored.psql("SELECT COUNT(*) FROM accounts_account WHERE owner_id LIKE 'drill-%'", "qenex") == "6"
    last = restored.psql("SELECT MAX(posted_at) < TIMESTAMPTZ '" + target + "' FROM ledger_journalentry", "qenex")
    assert last == "t"
    shutil.rmtree(var, ignore_errors=True)

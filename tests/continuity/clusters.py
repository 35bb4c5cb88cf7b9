"""Throwaway PostgreSQL clusters for the continuity tests: a primary archiving encrypted WAL, a restored copy,
a streaming replica. Each on its own free port (never the shared server on 5432), removed at teardown."""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from tests.throwaway import ROOT, PostgresCluster, wait_for

SCRIPTS = ROOT / "scripts"


def chown_to_server(cluster: PostgresCluster, *paths: Path) -> None:
    """The server runs as ``postgres`` when the tests run as root: give it what it must read or write."""
    if not cluster.user:
        return
    pw = pwd.getpwnam(cluster.user)
    for path in paths:
        os.chown(path, pw.pw_uid, pw.pw_gid)
        for root, dirs, files in os.walk(path):
            for name in [root, *(Path(root) / d for d in dirs), *(Path(root) / f for f in files)]:
                os.chown(name, pw.pw_uid, pw.pw_gid)


def backup_key_file(base: Path) -> Path:
    key = base / "backup.key"
    key.write_text(secrets.token_urlsafe(48) + "\n")
    key.chmod(0o600)
    return key


def configure(cluster: PostgresCluster, **settings: str) -> None:
    with (cluster.data / "postgresql.auto.conf").open("a") as conf:
        for name, value in settings.items():
            conf.write(f"{name} = '{value}'\n")


def server_script(cluster: PostgresCluster, name: str) -> Path:
    """A copy of ``scripts/<name>`` the server user can run (the checkout may sit where it cannot reach)."""
    copy = cluster.base / name
    if not copy.exists():
        shutil.copy2(SCRIPTS / name, copy)
        copy.chmod(0o755)
    return copy


def archiving(cluster: PostgresCluster, archive: Path, key: Path) -> None:
    """The documented WAL archiving configuration (README "Backups, restore and replicas")."""
    configure(
        cluster,
        wal_level="replica",
        archive_mode="on",
        archive_command=f"{server_script(cluster, 'wal_archive.sh')} %p %f {archive} {key}",
    )


def wait_archived(cluster: PostgresCluster) -> str:
    """Switch to a new WAL segment and wait until the one holding everything so far is archived."""
    segment = cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
    failed = cluster.psql("SELECT failed_count FROM pg_stat_archiver")
    assert failed == "0", cluster.log.read_text()[-3000:]
    wait_for(
        lambda: cluster.psql("SELECT COALESCE(last_archived_wal, '') FROM pg_stat_archiver") >= segment,
        f"WAL segment {segment} to be archived",
        timeout=60,
    )
    return segment


def worker(env: dict[str, str], *args: str) -> object:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "continuity" / "drill_worker.py"), *args],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


class Clusters:
    """Clusters made during one test, all destroyed at its end."""

    def __init__(self) -> None:
        self.made: list[PostgresCluster] = []

    def new(self) -> PostgresCluster:
        cluster = PostgresCluster()
        self.made.append(cluster)
        return cluster

    def destroy(self) -> None:
        for cluster in self.made:
            cluster.destroy()
            shutil.rmtree(cluster.base, ignore_errors=True)

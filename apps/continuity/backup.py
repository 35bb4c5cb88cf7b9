"""Encrypted PostgreSQL base backups: ``pg_basebackup`` streamed straight into ``gpg --symmetric`` (AES-256).

No plaintext copy of the database ever touches the backup disk: the tar stream goes from pg_basebackup's stdout
to gpg's stdin. WAL segments are encrypted the same way by ``scripts/wal_archive.sh`` (the server's
archive_command), so a point-in-time restore needs the base backup, the WAL archive and the one backup key.

The key (a passphrase, ≥ 32 random characters) comes from ``QENEX_BACKUP_KEY_FILE`` (preferred; the same file
the archive_command reads) or ``QENEX_BACKUP_KEY``; it reaches gpg on a pipe (``--passphrase-fd``), never on a
command line. gpg is a maintained tool with authenticated encryption (MDC); hand-written crypto is not needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "manifest.json"
BASE_FILE = "base.tar.gpg"
GPG_CIPHER = "AES256"
KEY_FILE_ENV = "QENEX_BACKUP_KEY_FILE"
KEY_ENV = "QENEX_BACKUP_KEY"
MIN_KEY_LENGTH = 32


class BackupError(Exception):
    """The backup could not be taken (no key, no tool, pg_basebackup or gpg failed); nothing is left half-done."""


@dataclass
class Manifest:
    label: str
    started_at: str
    finished_at: str
    server: str
    database: str
    pg_basebackup: str
    wal_start: str
    wal_end: str
    timeline: str
    encryption: str
    files: list[dict] = field(default_factory=list)
    not_included: list[str] = field(
        default_factory=lambda: [
            "audit checkpoint signing key (QENEX_AUDIT_SIGNING_KEY_FILE): escrowed separately",
            "HSM token and its KEK (QENEX_HSM_*): held by the HSM, backed up by its own procedure",
            "backup key (QENEX_BACKUP_KEY_FILE): escrowed separately; without it this backup is unreadable",
        ]
    )


def backup_key() -> str:
    """The backup passphrase from QENEX_BACKUP_KEY_FILE or QENEX_BACKUP_KEY."""
    path = os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            key = Path(path).read_text().strip()
        except OSError as exc:
            raise BackupError(f"{KEY_FILE_ENV}={path}: {exc.strerror}") from None
    else:
        key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise BackupError(f"set {KEY_FILE_ENV} (a file holding the backup passphrase) or {KEY_ENV}")
    if len(key) < MIN_KEY_LENGTH or "\n" in key:
        raise BackupError(f"the backup key must be one line of at least {MIN_KEY_LENGTH} characters")
    return key


def tool(name: str) -> str:
    """A PostgreSQL or gpg binary: from QENEX_PG_BIN (a server bin directory) for PostgreSQL's, else PATH."""
    pg_bin = os.environ.get("QENEX_PG_BIN")
    if pg_bin and name.startswith("pg_") and (Path(pg_bin) / name).exists():
        return str(Path(pg_bin) / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client / gnupg)")
    return found


def _gpg(*args: str, key: str, **popen) -> subprocess.Popen:
    """gpg reading its passphrase from a pipe; a throwaway GNUPGHOME so no keyring or agent is involved."""
    read_end, write_end = os.pipe()
    os.write(write_end, key.encode() + b"\n")
    os.close(write_end)
    home = tempfile.mkdtemp(prefix="qenex-gnupg-")
    try:
        process = subprocess.Popen(  # noqa: S603 - fixed gpg arguments, paths we made
            [
                tool("gpg"),
                "--batch",
                "--quiet",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase-fd",
                str(read_end),
                *args,
            ],
            env={**os.environ, "GNUPGHOME": home},
            pass_fds=(read_end,),
            **popen,
        )
    finally:
        os.close(read_end)
    process.gnupg_home = home  # type: ignore[attr-defined]
    return process


def _finish(process: subprocess.Popen, what: str, timeout: float) -> str:
    try:
        _, errors = process.communicate(timeout=timeout)
    finally:
        shutil.rmtree(process.gnupg_home, ignore_errors=True)  # type: ignore[attr-defined]
    if process.returncode != 0:
        raise BackupError(f"{what} failed: {(errors or b'').decode(errors='replace')[-2000:]}")
    return (errors or b"").decode(errors="replace")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def take_base_backup(destination: Path, *, database: dict, timeout: float = 3600) -> tuple[Path, Manifest]:
    """Stream an encrypted base backup of ``database`` (a Django DATABASES entry) into ``destination/<label>``."""
    key = backup_key()
    started = datetime.now(UTC)
    label = "qenex-" + started.strftime("%Y%m%dT%H%M%SZ")
    target = destination / label
    destination.mkdir(parents=True, exist_ok=True)
    target.mkdir(mode=0o700)
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    basebackup = subprocess.Popen(  # noqa: S603 - fixed arguments from the configured DATABASES entry
        [
            tool("pg_basebackup"),
            "-h",
            str(database.get("HOST") or "127.0.0.1"),
            "-p",
            str(database.get("PORT") or 5432),
            "-U",
            str(database.get("USER") or "postgres"),
            "-D",
            "-",  # the tar stream on stdout: into gpg, never onto disk in the clear
            "-Ft",
            "-X",
            "fetch",  # the WAL the backup needs to be consistent goes into the tar itself
            "--checkpoint=fast",
            "-l",
            label,
            "-v",
            "-w",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    encrypted = target / BASE_FILE
    try:
        gpg = _gpg(
            "--symmetric",
            "--cipher-algo",
            GPG_CIPHER,
            "--compress-algo",
            "zlib",
            "--output",
            str(encrypted),
            key=key,
            stdin=basebackup.stdout,
            stderr=subprocess.PIPE,
        )
        basebackup.stdout.close()  # gpg holds the read end now; pg_basebackup sees a closed pipe if gpg dies
        _finish(gpg, "gpg", timeout)
        log = basebackup.stderr.read().decode(errors="replace")
        basebackup.wait(timeout)
        if basebackup.returncode != 0:
            raise BackupError(f"pg_basebackup failed: {log[-2000:]}")
    except BaseException:
        basebackup.kill()
        shutil.rmtree(target, ignore_errors=True)
        raise
    version = subprocess.run(  # noqa: S603 - a fixed command
        [tool("pg_basebackup"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    start = re.search(r"write-ahead log start point: (\S+) on timeline (\d+)", log)
    end = re.search(r"write-ahead log end point: (\S+)", log)
    manifest = Manifest(
        label=label,
        started_at=started.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        server=f"{database.get('HOST') or '127.0.0.1'}:{database.get('PORT') or 5432}",
        database=str(database.get("NAME", "")),
        pg_basebackup=version,
        wal_start=start.group(1) if start else "",
        timeline=start.group(2) if start else "",
        wal_end=end.group(1) if end else "",
        encryption=f"gpg --symmetric --cipher-algo {GPG_CIPHER} (OpenPGP, MDC), passphrase = backup key",
        files=[{"name": BASE_FILE, "bytes": encrypted.stat().st_size, "sha256": _sha256(encrypted)}],
    )
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return target, manifest


def verify_files(backup_dir: Path) -> list[str]:
    """Problems with a backup directory's files against its manifest (missing, wrong size or hash)."""
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    problems = []
    for entry in manifest["files"]:
        path = backup_dir / entry["name"]
        if not path.exists():
            problems.append(f"{entry['name']}: missing")
        elif path.stat().st_size != entry["bytes"] or _sha256(path) != entry["sha256"]:
            problems.append(f"{entry['name']}: size or sha256 differs from the manifest")
    return problems


def decrypt_base(backup_dir: Path, data_dir: Path, *, timeout: float = 3600) -> None:
    """Decrypt ``base.tar.gpg`` and unpack it into ``data_dir`` (empty), as a restore's first step."""
    problems = verify_files(backup_dir)
    if problems:
        raise BackupError("; ".join(problems))
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    gpg = _gpg(
        "--decrypt", str(backup_dir / BASE_FILE), key=backup_key(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    untar = subprocess.Popen(  # noqa: S603 - a fixed command into a directory we were given
        [tool("tar"), "-x", "-C", str(data_dir)], stdin=gpg.stdout, stderr=subprocess.PIPE
    )
    gpg.stdout.close()
    _finish(gpg, "gpg --decrypt", timeout)
    _, errors = untar.communicate(timeout=timeout)
    if untar.returncode != 0:
        raise BackupError(f"tar failed: {errors.decode(errors='replace')[-2000:]}")

"""Checkpoints exist whenever records do, verify_audit names what no checkpoint covers, and an exported copy
of the signed checkpoints catches a chain rewritten together with the database's checkpoints.

The attacker here is a database superuser: triggers off, records edited, every later hash and the chain head
recomputed - a chain that is consistent again. Only a signature made before the edit can tell.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from apps.audit import services
from apps.audit.models import AuditCheckpoint, AuditRecord
from apps.audit.services import audit_checkpoint_create, audit_record
from tests.audit.trail import rewrite_shard_as_superuser

pytestmark = pytest.mark.usefixtures("signing_key_file")


@pytest.fixture
def pace(settings, monkeypatch):
    """A fresh per-process pace (the database is new for each test) at a small, known interval."""
    monkeypatch.setattr(services, "_pace", services._CheckpointPace())
    settings.QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS = 5
    settings.QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS = 3600
    return settings


def _write(n: int) -> None:
    for i in range(n):
        with transaction.atomic(durable=True):  # a service's transaction: commits for real
            audit_record(action="test.step", object_type="thing", object_id=f"t{i}", after={"i": i})


def _signed() -> list[int]:
    return list(AuditCheckpoint.objects.order_by("id").values_list("sequence", flat=True))


def _verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


# --- checkpoints are signed by the writers, after commit ----------------------------------------------------


def _head() -> int:
    return AuditRecord.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def _fresh_start() -> list[int]:
    """Sign whatever the database already holds (the roles re-applied after a flush are audited too)."""
    if _head():
        services._pace.note(audit_checkpoint_create() or AuditCheckpoint.objects.order_by("-id").first())
    return _signed()


@pytest.mark.django_db(transaction=True)
def test_writers_sign_a_checkpoint_every_n_records_without_beat(pace, on_postgresql):
    before = _fresh_start()
    if not before:
        _write(1)
        assert _signed() == [_head()]  # the first record ever is signed at once
        before = _signed()
    start = before[-1]
    _write(4)
    assert _signed() == before  # 4 records: fewer than 5 behind the checkpoint
    _write(1)
    assert _signed() == [*before, start + 5]
    code, out = _verify("--strict")
    assert code == 0, out


@pytest.mark.django_db(transaction=True)
def test_writers_sign_a_checkpoint_once_the_newest_is_older_than_s_seconds(pace, on_postgresql):
    pace.QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS = 1000
    pace.QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS = 1
    before = _fresh_start()
    _write(2)
    signed = _signed()
    if not before:
        assert len(signed) == 1  # the first record ever is signed at once
    else:
        assert signed == before
    time.sleep(1.1)
    _write(1)
    assert _signed() == [*signed, _head()]


@pytest.mark.django_db
def test_the_after_commit_check_runs_no_query_when_no_checkpoint_is_due(
    pace, django_capture_on_commit_callbacks, django_assert_num_queries
):
    audit_record(action="test.step")
    services._pace.note(audit_checkpoint_create())
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        audit_record(action="test.step")
    assert len(callbacks) == 1
    with django_assert_num_queries(0):
        callbacks[0]()  # what runs after COMMIT: a comparison in memory, no lock, no query


@pytest.mark.django_db
def test_a_failing_checkpoint_never_reaches_the_writer(pace, settings, monkeypatch, caplog):
    settings.PRODUCTION = True
    monkeypatch.delenv("QENEX_AUDIT_SIGNING_KEY_FILE")  # production without a key: signing fails
    audit_record(action="test.step")
    assert services.audit_checkpoint_if_due(sequence=1) is None
    assert "audit checkpoint after commit failed" in caplog.text


# --- verify_audit says what no checkpoint covers --------------------------------------------------------------


@pytest.mark.django_db
def test_an_unsigned_rewritten_chain_warns_loudly_and_fails_under_strict(on_postgresql):
    records = [audit_record(action="test.step", object_id=f"t{i}") for i in range(10)]  # no commit: no checkpoint
    rewrite_shard_as_superuser(records[2])
    code, out = _verify()
    assert code == 0 and f"WARNING: no checkpoint covers 10 record(s): shard {records[0].shard} records 1..10" in out
    code, out = _verify("--strict")
    assert code == 1, out
    assert "[checkpoint_missing] no checkpoint covers 10 record(s)" in out


@pytest.mark.django_db
def test_a_young_short_unsigned_tail_is_within_the_pace(pace):
    for i in range(6):
        audit_record(action="test.step", object_id=f"t{i}")
    audit_checkpoint_create()
    for i in range(3):
        audit_record(action="test.step", object_id=f"u{i}")
    code, out = _verify("--strict")
    assert code == 0, out
    assert "no checkpoint covers 3 record(s)" in out and "records 7..9 (within the checkpoint pace" in out
    for i in range(3):
        audit_record(action="test.step", object_id=f"v{i}")
    code, out = _verify("--strict")  # 6 unsigned records: more than the pace (5) leaves
    assert code == 1 and "no checkpoint covers 6 record(s)" in out and "records 7..12" in out, out


# --- an exported copy of the checkpoints --------------------------------------------------------------------


def _export(path) -> str:
    out = io.StringIO()
    call_command("export_audit_checkpoints", "--to", str(path), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_export_appends_only_new_signed_checkpoints(tmp_path):
    copy = tmp_path / "checkpoints.jsonl"
    records = [audit_record(action="test.step", object_id=f"t{i}") for i in range(3)]
    audit_checkpoint_create()
    assert "exported 1 checkpoint(s)" in _export(copy)
    assert "exported 0 checkpoint(s)" in _export(copy)
    records.append(audit_record(action="test.step"))
    audit_checkpoint_create()
    assert "exported 1 checkpoint(s)" in _export(copy)
    lines = [json.loads(line) for line in copy.read_text().splitlines()]
    assert [line["sequence"] for line in lines] == [records[2].sequence, records[3].sequence]
    assert [line["format"] for line in lines] == ["qenex-audit-checkpoint-v2"] * 2
    assert lines[1]["heads"] == [[records[3].shard, records[3].shard_sequence, records[3].hash]]
    code, out = _verify("--checkpoints", str(copy))
    assert code == 0 and "2 exported checkpoint(s)" in out, out


@pytest.mark.django_db
def test_the_exported_copy_catches_a_chain_rewritten_with_its_database_checkpoints(on_postgresql, tmp_path):
    copy = tmp_path / "checkpoints.jsonl"
    records = [audit_record(action="test.step", object_id=f"t{i}") for i in range(5)]
    audit_checkpoint_create()
    _export(copy)

    # The attacker rewrites record 2 and the rest of its shard, deletes the database's checkpoints and, holding
    # the signing key too (root on the app server), signs the rewritten heads.
    rewrite_shard_as_superuser(records[1])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditcheckpoint")
    audit_checkpoint_create()
    code, out = _verify("--strict")
    assert code == 0, out  # the database alone cannot tell any more

    code, out = _verify("--checkpoints", str(copy))
    assert code == 1, out
    assert "[checkpoint_mismatch] external checkpoint at" in out
    assert f"shard {records[4].shard} record {records[4].shard_sequence} is not the record that was signed" in out


@pytest.mark.django_db
def test_export_refuses_a_checkpoint_that_does_not_verify(on_postgresql, tmp_path):
    audit_record(action="test.step")
    checkpoint = audit_checkpoint_create()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_auditcheckpoint SET signature = %s WHERE id = %s", ["00" * 10, checkpoint.pk])
    copy = tmp_path / "checkpoints.jsonl"
    with pytest.raises(Exception, match="does not verify"):
        _export(copy)
    assert not copy.exists() or copy.read_text() == ""


@pytest.mark.django_db
def test_verify_refuses_a_file_that_is_not_a_checkpoint_copy(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "something-else"}\n')
    with pytest.raises(Exception, match="bad.jsonl:1"):
        _verify("--checkpoints", str(bad))

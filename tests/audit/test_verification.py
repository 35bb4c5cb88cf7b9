"""``verify_audit`` finds edits, deletions and forged checkpoints, even when the triggers were bypassed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditRecord
from apps.audit.services import audit_checkpoint_create, audit_record
from apps.audit.signing import fingerprint, write_key_file
from apps.audit.tasks import audit_checkpoint
from apps.audit.verification import audit_chain_verify

pytestmark = [pytest.mark.django_db]


def _trail(n: int = 10) -> list[AuditRecord]:
    return [audit_record(action="test.step", object_type="thing", object_id=f"t{i}", after={"i": i}) for i in range(n)]


def _as_superuser(sql: str, params=()) -> None:
    """Do what only a superuser or the table owner can: switch the triggers off for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def _verify_command() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", "--batch-size", "3", stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_intact_trail_verifies_with_exit_code_0(signing_key_file):
    _trail(7)
    audit_checkpoint_create()
    _trail(3)
    code, out = _verify_command()
    assert code == 0, out
    assert "audit trail intact: 10 record(s)" in out and "1 checkpoint(s)" in out


def test_records_cannot_be_updated_or_deleted(on_postgresql):
    record = _trail(1)[0]
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).update(actor="someone else")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).delete()


def test_a_record_must_extend_the_head_and_the_head_only_advances(on_postgresql):
    last = _trail(2)[-1]
    with pytest.raises(IntegrityError, match="does not extend"), transaction.atomic():
        AuditRecord.objects.create(
            sequence=last.sequence + 5,
            occurred_at=last.occurred_at,
            action="forged",
            prev_hash=last.hash,
            hash="f" * 128,
        )
    with pytest.raises(IntegrityError, match="only advance"), transaction.atomic():
        AuditChainHead.objects.update(sequence=1, hash=AuditRecord.objects.get(sequence=1).hash)


def test_checkpoints_cannot_be_changed(on_postgresql, signing_key_file):
    _trail(2)
    checkpoint = audit_checkpoint_create()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(sequence=1)


def test_an_edited_record_is_found_exactly(on_postgresql):
    records = _trail(10)
    target = records[4]
    _as_superuser("UPDATE audit_auditrecord SET after = %s::jsonb WHERE sequence = %s", ['{"i": 999}', target.sequence])
    report = audit_chain_verify(batch_size=3)
    assert [(p.kind, p.record_id) for p in report.problems] == [("record_altered", target.sequence)]
    assert report.problems[0].found == target.hash
    code, out = _verify_command()
    assert code == 1
    assert f"record {target.sequence} was altered" in out and target.hash in out


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(on_postgresql):
    records = _trail(6)
    _as_superuser("UPDATE audit_auditrecord SET actor = 'mallory', hash = %s WHERE sequence = %s", ["a" * 128, 3])
    report = audit_chain_verify()
    assert report.problems[0].record_id == records[2].sequence


def test_a_deleted_record_is_found_as_a_gap(on_postgresql):
    records = _trail(10)
    gone = records[5]
    _as_superuser("DELETE FROM audit_auditrecord WHERE sequence = %s", [gone.sequence])
    report = audit_chain_verify(batch_size=4)
    assert [(p.kind, p.record_id) for p in report.problems] == [("record_missing", gone.sequence)]
    code, out = _verify_command()
    assert code == 1 and f"record(s) {gone.sequence} missing" in out


def test_a_truncated_tail_is_found_at_the_head(on_postgresql):
    records = _trail(5)
    _as_superuser("DELETE FROM audit_auditrecord WHERE sequence >= %s", [records[3].sequence])
    assert [p.kind for p in audit_chain_verify().problems] == ["head_mismatch"]


def test_a_tampered_checkpoint_signature_is_found(on_postgresql, signing_key_file):
    _trail(4)
    checkpoint = audit_checkpoint_create()
    signature = bytearray(bytes.fromhex(checkpoint.signature))
    signature[100] ^= 0x01
    _as_superuser("UPDATE audit_auditcheckpoint SET signature = %s WHERE id = %s", [signature.hex(), checkpoint.pk])
    report = audit_chain_verify()
    assert [(p.kind, p.checkpoint_id) for p in report.problems] == [("checkpoint_bad_signature", checkpoint.pk)]
    assert _verify_command()[0] == 1


def test_a_checkpoint_moved_to_another_record_is_found(on_postgresql, signing_key_file):
    _trail(4)
    checkpoint = audit_checkpoint_create()
    _as_superuser("UPDATE audit_auditcheckpoint SET sequence = 2 WHERE id = %s", [checkpoint.pk])
    assert [p.kind for p in audit_chain_verify().problems] == ["checkpoint_bad_signature"]


def test_a_rewritten_tail_is_caught_by_the_checkpoint(on_postgresql, signing_key_file):
    """Rewriting every hash from a record on keeps the chain consistent; only the signature tells."""
    from apps.audit.chain import HASHED_FIELDS, record_hash

    _trail(5)
    audit_checkpoint_create()
    rows = list(AuditRecord.objects.order_by("sequence").values(*HASHED_FIELDS))
    prev = rows[1 - 1]["prev_hash"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for row in rows:
            if row["sequence"] == 2:
                row["actor"] = "mallory"
            row["prev_hash"] = prev
            prev = record_hash(**row)
            cursor.execute(
                "UPDATE audit_auditrecord SET actor = %s, prev_hash = %s, hash = %s WHERE sequence = %s",
                [row["actor"], row["prev_hash"], prev, row["sequence"]],
            )
        cursor.execute("UPDATE audit_auditchainhead SET hash = %s", [prev])
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert [p.kind for p in audit_chain_verify().problems] == ["checkpoint_mismatch"]


def test_a_checkpoint_signed_by_an_unknown_key_is_refused(signing_key_file, tmp_path, monkeypatch):
    _trail(2)
    other = tmp_path / "other.key"
    write_key_file(other)
    monkeypatch.setenv("QENEX_AUDIT_SIGNING_KEY_FILE", str(other))
    audit_checkpoint_create()  # signed by a key the verifier below does not trust
    monkeypatch.setenv("QENEX_AUDIT_SIGNING_KEY_FILE", str(signing_key_file))
    assert [p.kind for p in audit_chain_verify().problems] == ["checkpoint_untrusted_key"]


def test_old_keys_stay_trusted_through_the_trusted_keys_file(signing_key_file, tmp_path, monkeypatch):
    from apps.audit.signing import signing_key

    _trail(2)
    old_public = signing_key().public_key().public_bytes_raw()
    audit_checkpoint_create()
    rotated = tmp_path / "new.key"
    write_key_file(rotated)
    trusted = tmp_path / "trusted.txt"
    trusted.write_text(f"# retired {fingerprint(old_public)}\n{old_public.hex()}\n")
    monkeypatch.setenv("QENEX_AUDIT_SIGNING_KEY_FILE", str(rotated))
    monkeypatch.setenv("QENEX_AUDIT_TRUSTED_KEYS_FILE", str(trusted))
    assert audit_chain_verify().ok


def test_checkpoint_task_signs_the_head_once(signing_key_file):
    records = _trail(3)
    assert audit_checkpoint.delay().get() == records[-1].sequence
    assert audit_checkpoint.delay().get() is None  # nothing new since
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.chain_hash, checkpoint.algorithm) == (records[-1].hash, "ML-DSA-65")


def test_production_without_a_key_refuses_to_sign(settings, monkeypatch):
    from apps.audit.errors import SigningKeyUnavailable

    monkeypatch.delenv("QENEX_AUDIT_SIGNING_KEY_FILE", raising=False)
    settings.PRODUCTION = True
    _trail(1)
    with pytest.raises(SigningKeyUnavailable):
        audit_checkpoint_create()


def test_keygen_writes_a_private_key_file(tmp_path):
    out = io.StringIO()
    call_command("audit_keygen", "--out", str(tmp_path / "k"), stdout=out)
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    assert len((tmp_path / "k").read_bytes()) == 32
    public = bytes.fromhex((tmp_path / "k.pub").read_text())
    assert fingerprint(public) in out.getvalue()
    with pytest.raises(Exception, match="exists already"):
        call_command("audit_keygen", "--out", str(tmp_path / "k"), stdout=io.StringIO())

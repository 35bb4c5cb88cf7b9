"""``verify_audit`` finds edits, deletions, truncation, reordering, forks and forged checkpoints in every chain
shard, even when the triggers were bypassed."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from apps.audit.chain import HASHED_FIELDS, record_hash
from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditRecord
from apps.audit.services import audit_checkpoint_create, audit_record
from apps.audit.signing import fingerprint, write_key_file
from apps.audit.tasks import audit_checkpoint
from apps.audit.verification import audit_chain_verify
from tests.audit.trail import as_superuser as _as_superuser
from tests.audit.trail import rewrite_shard_as_superuser, unpin

pytestmark = [pytest.mark.django_db]


def _trail(n: int = 10, object_id: str | None = None) -> list[AuditRecord]:
    """``n`` records, each as if in its own transaction: spread over the shards (one shard for one object)."""
    records = []
    for i in range(n):
        unpin()
        records.append(
            audit_record(action="test.step", object_type="thing", object_id=object_id or f"t{i}", after={"i": i})
        )
    return records


def _shard_of_many(records: list[AuditRecord]) -> list[AuditRecord]:
    """The records of the shard that holds the most of them, in chain order."""
    shards = [r.shard for r in records]
    shard = max(set(shards), key=shards.count)
    return [r for r in records if r.shard == shard]


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
    first, last = _trail(2, object_id="same")
    with pytest.raises(IntegrityError, match="does not extend"), transaction.atomic():
        AuditRecord.objects.create(
            shard=last.shard,
            shard_sequence=last.shard_sequence + 5,
            occurred_at=last.occurred_at,
            action="forged",
            prev_hash=last.hash,
            hash="f" * 128,
        )
    with pytest.raises(IntegrityError, match="does not extend"), transaction.atomic():
        AuditRecord.objects.create(  # the right place in another shard's chain
            shard=(last.shard + 1) % 16,
            shard_sequence=last.shard_sequence + 1,
            occurred_at=last.occurred_at,
            action="forged",
            prev_hash=last.hash,
            hash="f" * 128,
        )
    with pytest.raises(IntegrityError, match="only advance"), transaction.atomic():
        AuditChainHead.objects.filter(id=last.shard).update(sequence=first.shard_sequence, hash=first.hash)
    with pytest.raises(IntegrityError, match="starts empty"), transaction.atomic():
        AuditChainHead.objects.create(id=1000, sequence=3, hash="e" * 128)


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
    assert f"shard {target.shard}: record {target.shard_sequence} was altered" in out and target.hash in out


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(on_postgresql):
    records = _trail(6, object_id="same")
    target = records[2]
    _as_superuser(
        "UPDATE audit_auditrecord SET actor = 'mallory', hash = %s WHERE sequence = %s", ["a" * 128, target.sequence]
    )
    report = audit_chain_verify()
    assert [(p.kind, p.record_id) for p in report.problems] == [("record_altered", target.sequence)]


def test_a_deleted_record_is_found_as_a_gap(on_postgresql):
    records = _shard_of_many(_trail(40))
    assert len(records) >= 3
    gone = records[1]
    _as_superuser("DELETE FROM audit_auditrecord WHERE sequence = %s", [gone.sequence])
    report = audit_chain_verify(batch_size=4)
    assert [(p.kind, p.shard, p.position) for p in report.problems] == [
        ("record_missing", gone.shard, gone.shard_sequence)
    ]
    code, out = _verify_command()
    assert code == 1 and f"shard {gone.shard}: record(s) {gone.shard_sequence} missing" in out


def test_a_truncated_tail_is_found_at_the_head(on_postgresql):
    records = _trail(5, object_id="same")
    _as_superuser("DELETE FROM audit_auditrecord WHERE sequence >= %s", [records[3].sequence])
    assert [(p.kind, p.shard) for p in audit_chain_verify().problems] == [("head_mismatch", records[0].shard)]


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
    """Rewriting every hash of a shard from a record on keeps the chain consistent; only the signature tells."""
    records = _trail(20)
    audit_checkpoint_create()
    target = _shard_of_many(records)[0]
    rewrite_shard_as_superuser(target)
    problems = audit_chain_verify().problems
    assert [(p.kind, p.shard) for p in problems] == [("checkpoint_mismatch", target.shard)]
    assert "is not the record that was signed" in problems[0].message


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
    assert audit_checkpoint.delay().get() == records[-1].sequence  # the newest record it covers
    assert audit_checkpoint.delay().get() is None  # nothing new since
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.algorithm == "ML-DSA-65"
    signed = {shard: (position, head_hash) for shard, position, head_hash in checkpoint.heads}
    for record in records:
        assert signed[record.shard][0] >= record.shard_sequence
    assert signed[records[-1].shard] == (records[-1].shard_sequence, records[-1].hash)


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


# --- what sharding adds: each shard is its own chain, a checkpoint signs all heads together -------------------


def test_records_spread_over_shards_and_each_shard_is_a_chain(on_postgresql):
    records = _trail(40)
    assert len({r.shard for r in records}) > 5
    for shard in {r.shard for r in records}:
        chain = list(AuditRecord.objects.filter(shard=shard).order_by("shard_sequence"))
        assert [r.shard_sequence for r in chain] == list(range(1, len(chain) + 1))
        assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:], strict=False))
        assert [r.sequence for r in chain] == sorted(r.sequence for r in chain)  # the global order agrees
    report = audit_chain_verify(batch_size=3)
    assert report.ok and report.records_checked == AuditRecord.objects.count()


def test_a_transaction_keeps_all_its_records_in_its_first_shard(on_postgresql):
    unpin()
    first = audit_record(action="test.step", object_type="account", object_id="ACC1")  # shard 13 of 16
    second = audit_record(action="test.step", object_type="account", object_id="ACC2")  # would be shard 6
    assert first.shard == second.shard and second.shard_sequence == first.shard_sequence + 1


def test_a_fork_two_records_extending_the_same_record_is_found(on_postgresql):
    records = _trail(4, object_id="same")
    last = records[-1]
    forged = {name: getattr(last, name) for name in HASHED_FIELDS}
    forged.update(shard_sequence=last.shard_sequence + 1, prev_hash=records[-2].hash, actor="mallory")
    forged_hash = record_hash(**forged)
    _as_superuser(  # a second successor of record 3, appended as record 5, with the head moved onto it
        "INSERT INTO audit_auditrecord (chain_format, shard, shard_sequence, occurred_at, actor, action, object_type,"
        " object_id, request_id, source_ip, prev_hash, hash)"
        " VALUES (2, %s, %s, %s, 'mallory', %s, %s, %s, '', '', %s, %s)",
        [last.shard, last.shard_sequence + 1, last.occurred_at, last.action, last.object_type, last.object_id,
         records[-2].hash, forged_hash],
    )  # fmt: skip
    _as_superuser(
        "UPDATE audit_auditchainhead SET sequence = %s, hash = %s WHERE id = %s",
        [last.shard_sequence + 1, forged_hash, last.shard],
    )
    problems = audit_chain_verify().problems
    assert [(p.kind, p.shard, p.position) for p in problems] == [("fork", last.shard, last.shard_sequence + 1)]
    assert f"extends record {records[-2].shard_sequence}, which record {last.shard_sequence} already extends" in (
        problems[0].message
    )


def test_records_swapped_in_the_global_order_are_found(on_postgresql):
    first, second = _trail(2, object_id="same")
    # Swap the two global numbers (through a free one): the chain's hashes do not cover them, the walk does.
    free = AuditRecord.objects.order_by("-sequence").first().sequence + 1000
    _as_superuser("UPDATE audit_auditrecord SET sequence = %s WHERE sequence = %s", [free, first.sequence])
    _as_superuser("UPDATE audit_auditrecord SET sequence = %s WHERE sequence = %s", [first.sequence, second.sequence])
    _as_superuser("UPDATE audit_auditrecord SET sequence = %s WHERE sequence = %s", [second.sequence, free])
    problems = audit_chain_verify().problems
    assert [(p.kind, p.shard, p.position) for p in problems] == [
        ("record_reordered", first.shard, second.shard_sequence)
    ]


def test_records_swapped_in_a_chain_are_found(on_postgresql):
    first, second = _trail(2, object_id="same")
    swap = "UPDATE audit_auditrecord SET shard_sequence = %s WHERE sequence = %s"
    _as_superuser(swap, [-1, first.sequence])  # through a free position: (shard, shard_sequence) is unique
    _as_superuser(swap, [first.shard_sequence, second.sequence])
    _as_superuser(swap, [second.shard_sequence, first.sequence])
    problems = audit_chain_verify().problems
    assert [(p.kind, p.shard, p.position) for p in problems] == [("link_broken", first.shard, first.shard_sequence)]


def test_a_record_moved_to_another_shard_is_found(on_postgresql):
    records = _trail(3, object_id="same")
    moved = records[-1]
    other = (moved.shard + 1) % 16
    AuditChainHead.objects.get_or_create(id=other)
    position = AuditChainHead.objects.get(id=other).sequence + 1
    _as_superuser(
        "UPDATE audit_auditrecord SET shard = %s, shard_sequence = %s WHERE sequence = %s",
        [other, position, moved.sequence],
    )
    _as_superuser(
        "UPDATE audit_auditchainhead SET sequence = %s, hash = %s WHERE id = %s", [position, moved.hash, other]
    )
    kinds = {(p.kind, p.shard) for p in audit_chain_verify().problems}
    assert ("head_mismatch", moved.shard) in kinds  # its shard lost its last record
    assert any(kind in {"link_broken", "record_altered"} and shard == other for kind, shard in kinds), kinds


def test_a_shard_truncated_below_the_checkpoint_with_its_head_moved_back_is_found(on_postgresql, signing_key_file):
    records = _trail(5, object_id="same")
    _trail(10)  # other shards
    checkpoint = audit_checkpoint_create()
    shard = records[0].shard
    # The superuser deletes the shard's last two records and winds its head back: the chain is consistent again.
    _as_superuser(
        "DELETE FROM audit_auditrecord WHERE shard = %s AND shard_sequence > %s", [shard, records[2].shard_sequence]
    )
    _as_superuser(
        "UPDATE audit_auditchainhead SET sequence = %s, hash = %s, record_sequence = %s WHERE id = %s",
        [records[2].shard_sequence, records[2].hash, records[2].sequence, shard],
    )
    problems = audit_chain_verify().problems
    assert [(p.kind, p.shard, p.checkpoint_id) for p in problems] == [("checkpoint_beyond_head", shard, checkpoint.pk)]
    assert f"signed shard {shard} up to record {records[-1].shard_sequence}, but the shard ends at record 3" in (
        problems[0].message
    )


def test_a_whole_shard_deleted_with_its_head_row_is_found_by_the_checkpoint(on_postgresql, signing_key_file):
    records = _trail(3, object_id="gone")
    _trail(5)
    audit_checkpoint_create()
    shard = records[0].shard
    _as_superuser("DELETE FROM audit_auditrecord WHERE shard = %s", [shard])
    _as_superuser("DELETE FROM audit_auditchainhead WHERE id = %s", [shard])
    assert [(p.kind, p.shard) for p in audit_chain_verify().problems] == [("checkpoint_beyond_head", shard)]


def test_a_checkpoint_whose_heads_were_edited_does_not_verify(on_postgresql, signing_key_file):
    _trail(6)
    checkpoint = audit_checkpoint_create()
    heads = [list(h) for h in checkpoint.heads]
    heads[0][1] -= 1  # claim a shorter shard
    _as_superuser(
        "UPDATE audit_auditcheckpoint SET heads = %s::jsonb WHERE id = %s", [json.dumps(heads), checkpoint.pk]
    )
    assert [p.kind for p in audit_chain_verify().problems] == ["checkpoint_bad_signature"]


def test_a_checkpoint_is_signed_only_when_a_head_moved(signing_key_file):
    _trail(3)
    assert audit_checkpoint_create() is not None
    assert audit_checkpoint_create() is None
    _trail(1)
    assert audit_checkpoint_create() is not None
    assert audit_chain_verify().ok

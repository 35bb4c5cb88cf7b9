"""Walk the audit chain and the checkpoints; report the first broken link and every bad checkpoint.

Reads only. Records are streamed in primary-key order in batches (keyset pagination), so memory stays flat
for any length of trail; the walk stops at the head as it was when verification began, so appends made
meanwhile are left for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from . import signing
from .chain import GENESIS_HASH, HASHED_FIELDS, record_hash
from .models import HEAD_ID, AuditChainHead, AuditCheckpoint, AuditRecord
from .services import checkpoint_message

BATCH_SIZE = 5000


@dataclass(frozen=True)
class Problem:
    kind: str  # record_altered | link_broken | record_missing | head_mismatch | checkpoint_*
    message: str
    record_id: int | None = None  # the record's sequence
    checkpoint_id: int | None = None
    expected: str = ""
    found: str = ""

    def __str__(self) -> str:
        text = self.message
        if self.expected or self.found:
            text += f"\n  expected: {self.expected}\n  found:    {self.found}"
        return text


@dataclass(frozen=True)
class Uncovered:
    """Records no valid checkpoint covers: a database superuser can rewrite them without a trace."""

    first: int
    last: int
    overdue: bool  # longer than the checkpoint pace allows (more records, or older, than it would leave)

    def __str__(self) -> str:
        text = f"no checkpoint covers records {self.first}..{self.last}"
        if self.overdue:
            return text + ": they could be rewritten undetected (no checkpoint was signed at the configured pace)"
        return text + " (within the checkpoint pace: the next write or beat signs them)"


@dataclass
class Report:
    records_checked: int = 0
    checkpoints_checked: int = 0
    external_checkpoints_checked: int = 0
    head_sequence: int = 0
    problems: list[Problem] = field(default_factory=list)
    uncovered: Uncovered | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _records(upto: int, batch_size: int) -> Iterator[tuple]:
    last = 0
    while True:
        rows = list(
            AuditRecord.objects.filter(sequence__gt=last, sequence__lte=upto)
            .order_by("sequence")
            .values_list(*HASHED_FIELDS, "hash")[:batch_size]
        )
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _walk_chain(
    report: Report, head: AuditChainHead | None, batch_size: int, progress, also_wanted: set[int]
) -> dict[int, str]:
    """Check every link up to the head; return {sequence: hash} for the sequences checkpoints name."""
    upto = head.sequence if head is not None else 0
    wanted = set(AuditCheckpoint.objects.filter(sequence__lte=upto).values_list("sequence", flat=True).distinct())
    wanted |= also_wanted
    seen: dict[int, str] = {}
    expected_seq, prev_hash = 1, GENESIS_HASH
    for row in _records(upto, batch_size):
        values = dict(zip(HASHED_FIELDS, row, strict=False))
        stored = row[-1]
        sequence = values["sequence"]
        if sequence != expected_seq:
            missing = f"{expected_seq}" if sequence == expected_seq + 1 else f"{expected_seq}-{sequence - 1}"
            report.problems.append(
                Problem(
                    "record_missing",
                    f"record(s) {missing} missing: after record {expected_seq - 1} comes record {sequence}",
                    record_id=expected_seq,
                    expected=f"prev_hash {prev_hash}",
                    found=f"prev_hash {values['prev_hash']}",
                )
            )
            return seen
        if values["prev_hash"] != prev_hash:
            report.problems.append(
                Problem(
                    "link_broken",
                    f"record {sequence} does not follow record {sequence - 1} (prev_hash differs)",
                    record_id=sequence,
                    expected=prev_hash,
                    found=values["prev_hash"],
                )
            )
            return seen
        recomputed = record_hash(**values)
        if recomputed != stored:
            report.problems.append(
                Problem(
                    "record_altered",
                    f"record {sequence} was altered: its content does not match its hash",
                    record_id=sequence,
                    expected=recomputed,
                    found=stored,
                )
            )
            return seen
        if sequence in wanted:
            seen[sequence] = stored
        report.records_checked += 1
        if progress is not None and report.records_checked % (batch_size * 20) == 0:
            progress(report.records_checked)
        expected_seq, prev_hash = sequence + 1, stored
    if report.records_checked != upto or prev_hash != (head.hash if head is not None else GENESIS_HASH):
        report.problems.append(
            Problem(
                "head_mismatch",
                f"the chain head names record {upto} but the trail ends at record {expected_seq - 1}",
                record_id=expected_seq,
                expected=head.hash if head is not None else GENESIS_HASH,
                found=prev_hash,
            )
        )
    return seen


def checkpoint_verifies(cp: AuditCheckpoint, trusted: dict[str, bytes] | None = None) -> bool:
    """True when ``cp`` is signed by a trusted key over exactly its own fields."""
    trusted = signing.trusted_public_keys() if trusted is None else trusted
    try:
        public_raw, signature = bytes.fromhex(cp.public_key), bytes.fromhex(cp.signature)
    except ValueError:
        return False
    if signing.fingerprint(public_raw) != cp.key_fingerprint or cp.key_fingerprint not in trusted:
        return False
    message = checkpoint_message(
        sequence=cp.sequence, chain_hash=cp.chain_hash, created_at=cp.created_at, key_fingerprint=cp.key_fingerprint
    )
    return signing.verify(trusted[cp.key_fingerprint], signature, message)


def _name(cp: AuditCheckpoint) -> str:
    if cp.pk is None:
        return f"external checkpoint at {getattr(cp, 'source', 'the file')}"
    return f"checkpoint {cp.pk}"


def _check_checkpoints(
    report: Report,
    hashes: dict[int, str],
    upto: int,
    chain_intact: bool,
    checkpoints: Iterable[AuditCheckpoint],
    trusted: dict[str, bytes],
) -> int:
    """Check each checkpoint's key, signature and position; return the highest sequence a valid one covers."""
    covered = 0
    for cp in checkpoints:
        if cp.pk is None:  # from an external file: verified the same way, named by its line
            report.external_checkpoints_checked += 1
        else:
            report.checkpoints_checked += 1
        try:
            public_raw, signature = bytes.fromhex(cp.public_key), bytes.fromhex(cp.signature)
        except ValueError:
            public_raw, signature = b"", b""
        if signing.fingerprint(public_raw) != cp.key_fingerprint or cp.key_fingerprint not in trusted:
            report.problems.append(
                Problem(
                    "checkpoint_untrusted_key",
                    f"{_name(cp)} (record {cp.sequence}) is signed by a key that is not trusted",
                    checkpoint_id=cp.pk,
                    record_id=cp.sequence,
                    expected="one of " + ", ".join(sorted(trusted)) if trusted else "a trusted key (none configured)",
                    found=cp.key_fingerprint,
                )
            )
            continue
        message = checkpoint_message(
            sequence=cp.sequence, chain_hash=cp.chain_hash, created_at=cp.created_at, key_fingerprint=cp.key_fingerprint
        )
        if not signing.verify(trusted[cp.key_fingerprint], signature, message):
            report.problems.append(
                Problem(
                    "checkpoint_bad_signature",
                    f"{_name(cp)} (record {cp.sequence}): the signature does not verify",
                    checkpoint_id=cp.pk,
                    record_id=cp.sequence,
                )
            )
            continue
        if cp.sequence > upto:
            report.problems.append(
                Problem(
                    "checkpoint_beyond_head",
                    f"{_name(cp)} signed record {cp.sequence}, but the chain ends at record {upto}",
                    checkpoint_id=cp.pk,
                    record_id=cp.sequence,
                )
            )
        elif cp.sequence in hashes and hashes[cp.sequence] != cp.chain_hash:
            report.problems.append(
                Problem(
                    "checkpoint_mismatch",
                    f"{_name(cp)}: record {cp.sequence} is not the record that was signed",
                    checkpoint_id=cp.pk,
                    record_id=cp.sequence,
                    expected=cp.chain_hash,
                    found=hashes[cp.sequence],
                )
            )
        elif cp.sequence not in hashes and chain_intact:
            report.problems.append(
                Problem(
                    "checkpoint_mismatch",
                    f"{_name(cp)}: record {cp.sequence} is missing",
                    checkpoint_id=cp.pk,
                    record_id=cp.sequence,
                )
            )
        elif cp.sequence in hashes:
            covered = max(covered, cp.sequence)
    return covered


def _uncovered(report: Report, covered: int) -> Uncovered | None:
    """Name the records after the last valid checkpoint, and whether the pace should have signed them."""
    if report.head_sequence <= covered:
        return None
    first, last = covered + 1, report.head_sequence
    oldest = AuditRecord.objects.filter(sequence=first).values_list("occurred_at", flat=True).first()
    every_records = settings.QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS
    every_seconds = settings.QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else float("inf")
    # Writers sign the first record at once, then when the newest checkpoint is N records or S seconds behind
    # at their next write (beat covers a quiet tail): allow one more interval before calling a tail overdue.
    overdue = covered == 0 or last - first + 1 > every_records or age > 2 * every_seconds
    return Uncovered(first, last, overdue)


def audit_chain_verify(
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    external: list[AuditCheckpoint] | None = None,
) -> Report:
    """Verify every record's hash and link, the head, and every checkpoint's signature and position.

    ``external`` are checkpoints read from an off-box copy (``apps.audit.external``); they are checked like the
    database's, so a chain rewritten after they were exported fails even if the database's checkpoints were
    rewritten too. ``report.uncovered`` names the records no valid checkpoint covers.
    """
    report = Report()
    external = external or []
    head = AuditChainHead.objects.filter(pk=HEAD_ID).first()
    last = AuditRecord.objects.order_by("-sequence").values_list("sequence", "hash").first()
    if head is None and last is not None:
        report.problems.append(Problem("head_mismatch", "the chain head row is missing although records exist"))
        head = AuditChainHead(sequence=last[0], hash=last[1])  # still check the links up to the last record
    report.head_sequence = head.sequence if head is not None else 0
    hashes = _walk_chain(report, head, batch_size, progress, {cp.sequence for cp in external})
    intact = report.ok
    trusted = signing.trusted_public_keys()
    stored = AuditCheckpoint.objects.order_by("id").iterator(chunk_size=1000)
    covered = max(
        _check_checkpoints(report, hashes, report.head_sequence, intact, stored, trusted),
        _check_checkpoints(report, hashes, report.head_sequence, intact, external, trusted),
    )
    if report.ok:
        report.uncovered = _uncovered(report, covered)
    return report

"""Walk every audit chain shard and the checkpoints; report each shard's first broken link and every bad checkpoint.

Reads only. Each shard's records are streamed in chain order in batches (keyset pagination), so memory stays
flat for any length of trail; the walk stops at the heads as they were when verification began (read in one
statement), so appends made meanwhile are left for the next run. Besides each record's hash and link it
checks that the global ``sequence`` grows along each shard (a record moved in the global order is found).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, Min, Q
from django.utils import timezone

from . import signing
from .chain import GENESIS_HASH, HASHED_FIELDS, record_hash
from .models import AuditChainHead, AuditCheckpoint, AuditRecord
from .services import checkpoint_heads, checkpoint_message

BATCH_SIZE = 5000


@dataclass(frozen=True)
class Problem:
    kind: str  # record_altered | link_broken | record_missing | record_reordered | fork | head_mismatch | checkpoint_*
    message: str
    record_id: int | None = None  # the record's global ``sequence``, when there is such a record
    checkpoint_id: int | None = None
    expected: str = ""
    found: str = ""
    shard: int | None = None
    position: int | None = None  # the record's ``shard_sequence``

    def __str__(self) -> str:
        text = self.message
        if self.expected or self.found:
            text += f"\n  expected: {self.expected}\n  found:    {self.found}"
        return text


@dataclass(frozen=True)
class Uncovered:
    """Records no valid checkpoint covers: a database superuser can rewrite them without a trace."""

    ranges: tuple[tuple[int, int, int], ...]  # (shard, first position, last position), by shard
    overdue: bool  # longer than the checkpoint pace allows (more records, or older, than it would leave)

    @property
    def count(self) -> int:
        return sum(last - first + 1 for _, first, last in self.ranges)

    def __str__(self) -> str:
        shown = ", ".join(f"shard {shard} records {first}..{last}" for shard, first, last in self.ranges[:8])
        more = f" and {len(self.ranges) - 8} more shard(s)" if len(self.ranges) > 8 else ""
        text = f"no checkpoint covers {self.count} record(s): {shown}{more}"
        if self.overdue:
            return text + ": they could be rewritten undetected (no checkpoint was signed at the configured pace)"
        return text + " (within the checkpoint pace: the next write or beat signs them)"


@dataclass
class Report:
    records_checked: int = 0
    checkpoints_checked: int = 0
    external_checkpoints_checked: int = 0
    heads: dict[int, int] = field(default_factory=dict)  # shard -> the position verification walked up to
    problems: list[Problem] = field(default_factory=list)
    uncovered: Uncovered | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Seen:
    hash: str
    record_id: int


def _heads(report: Report) -> dict[int, str | None]:
    """Read every shard head (one snapshot); return {shard: head hash}, None where the head row is missing."""
    heads: dict[int, str | None] = {}
    for shard, position, head_hash in AuditChainHead.objects.order_by("id").values_list("id", "sequence", "hash"):
        report.heads[shard] = position
        heads[shard] = head_hash
    headless = (
        AuditRecord.objects.exclude(shard__in=list(heads))
        .values("shard")
        .annotate(last=Max("shard_sequence"))
        .values_list("shard", "last")
    )
    for shard, last in headless:
        report.problems.append(
            Problem("head_mismatch", f"the head row of shard {shard} is missing although it has records", shard=shard)
        )
        report.heads[shard] = last  # still check the links up to the last record
        heads[shard] = None
    return heads


def _records(shard: int, upto: int, batch_size: int) -> Iterator[tuple]:
    """Yield (sequence, *HASHED_FIELDS, hash) of the shard in chain order, keyset-paginated.

    Ties on the position (two records at one place: a fork, possible only with the unique index dropped) are
    broken by ``sequence`` so that no record is skipped.
    """
    last_position, last_id = 0, 0
    while True:
        rows = list(
            AuditRecord.objects.filter(shard=shard, shard_sequence__gte=last_position, shard_sequence__lte=upto)
            .exclude(shard_sequence=last_position, sequence__lte=last_id)
            .order_by("shard_sequence", "sequence")
            .values_list("sequence", *HASHED_FIELDS, "hash")[:batch_size]
        )
        if not rows:
            return
        yield from rows
        last_position, last_id = rows[-1][1 + HASHED_FIELDS.index("shard_sequence")], rows[-1][0]


def _walk_shard(
    report: Report,
    shard: int,
    head_hash: str | None,
    batch_size: int,
    progress,
    wanted: set[tuple[int, int]],
    seen: dict[tuple[int, int], _Seen],
) -> bool:
    """Check every link of one shard up to its head; note the records checkpoints name. True when intact."""
    upto = report.heads[shard]
    expected, prev_hash, prev_id = 1, GENESIS_HASH, 0

    def problem(kind: str, message: str, **kwargs) -> bool:
        report.problems.append(Problem(kind, f"shard {shard}: {message}", shard=shard, **kwargs))
        return False

    for row in _records(shard, upto, batch_size):
        record_id, stored = row[0], row[-1]
        values = dict(zip(HASHED_FIELDS, row[1:-1], strict=True))
        position = values["shard_sequence"]
        if position == expected - 1:
            return problem(
                "fork", f"two records at position {position} (records {prev_id} and {record_id})",
                record_id=record_id, position=position,
            )  # fmt: skip
        if position != expected:
            missing = f"{expected}" if position == expected + 1 else f"{expected}-{position - 1}"
            return problem(
                "record_missing",
                f"record(s) {missing} missing: after record {expected - 1} comes record {position}",
                position=expected,
                expected=f"prev_hash {prev_hash}",
                found=f"prev_hash {values['prev_hash']}",
            )
        if values["prev_hash"] != prev_hash:
            extended = (
                AuditRecord.objects.filter(shard=shard, hash=values["prev_hash"], shard_sequence__lt=position - 1)
                .values_list("shard_sequence", flat=True)
                .first()
            )
            if extended is not None:
                return problem(
                    "fork",
                    f"record {position} extends record {extended}, which record {extended + 1} already extends",
                    record_id=record_id, position=position, expected=prev_hash, found=values["prev_hash"],
                )  # fmt: skip
            return problem(
                "link_broken",
                f"record {position} does not follow record {position - 1} (prev_hash differs)",
                record_id=record_id, position=position, expected=prev_hash, found=values["prev_hash"],
            )  # fmt: skip
        try:
            recomputed = record_hash(**values) if values["shard"] == shard else ""
        except (KeyError, TypeError, ValueError):  # an unknown chain_format, or content that cannot be hashed
            recomputed = ""
        if recomputed != stored:
            return problem(
                "record_altered",
                f"record {position} was altered: its content does not match its hash",
                record_id=record_id, position=position, expected=recomputed, found=stored,
            )  # fmt: skip
        if record_id <= prev_id:
            return problem(
                "record_reordered",
                f"record {position} has global number {record_id}, not after record {position - 1}'s {prev_id}",
                record_id=record_id, position=position,
            )  # fmt: skip
        if (shard, position) in wanted:
            seen[(shard, position)] = _Seen(stored, record_id)
        report.records_checked += 1
        if progress is not None and report.records_checked % (batch_size * 20) == 0:
            progress(report.records_checked)
        expected, prev_hash, prev_id = position + 1, stored, record_id
    if expected - 1 != upto or (head_hash is not None and prev_hash != head_hash):
        return problem(
            "head_mismatch",
            f"the head names record {upto} but the shard ends at record {expected - 1}",
            position=expected,
            expected=head_hash or "",
            found=prev_hash,
        )
    return True


def checkpoint_verifies(cp: AuditCheckpoint, trusted: dict[str, bytes] | None = None) -> bool:
    """True when ``cp`` is signed by a trusted key over exactly its own fields."""
    trusted = signing.trusted_public_keys() if trusted is None else trusted
    try:
        public_raw, signature = bytes.fromhex(cp.public_key), bytes.fromhex(cp.signature)
    except ValueError:
        return False
    if signing.fingerprint(public_raw) != cp.key_fingerprint or cp.key_fingerprint not in trusted:
        return False
    return signing.verify(trusted[cp.key_fingerprint], signature, _message(cp))


def _message(cp: AuditCheckpoint) -> bytes:
    return checkpoint_message(
        sequence=cp.sequence,
        chain_hash=cp.chain_hash,
        created_at=cp.created_at,
        key_fingerprint=cp.key_fingerprint,
        heads=cp.heads,
    )


def _name(cp: AuditCheckpoint) -> str:
    if cp.pk is None:
        return f"external checkpoint at {getattr(cp, 'source', 'the file')}"
    return f"checkpoint {cp.pk}"


def _well_formed(heads) -> bool:
    return isinstance(heads, list) and all(
        isinstance(h, list) and len(h) == 3 and all(isinstance(v, int) and not isinstance(v, bool) for v in h[:2])
        and isinstance(h[2], str)
        for h in heads
    )  # fmt: skip


def _check_checkpoints(
    report: Report,
    seen: dict[tuple[int, int], _Seen],
    intact: set[int],
    checkpoints: Iterable[AuditCheckpoint],
    trusted: dict[str, bytes],
) -> dict[int, int]:
    """Check each checkpoint's key, signature and every head it signed; return {shard: position} valid ones cover."""
    covered: dict[int, int] = {}
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
        if (cp.heads is not None and not _well_formed(cp.heads)) or not signing.verify(
            trusted[cp.key_fingerprint], signature, _message(cp)
        ):
            report.problems.append(
                Problem(
                    "checkpoint_bad_signature",
                    f"{_name(cp)} (record {cp.sequence}): the signature does not verify",
                    checkpoint_id=cp.pk,
                    record_id=cp.sequence,
                )
            )
            continue
        valid, newest = True, 0
        for shard, position, signed_hash in checkpoint_heads(cp):
            found = seen.get((shard, position))
            if found is not None and found.hash == signed_hash and position <= report.heads.get(shard, 0):
                newest = max(newest, found.record_id)
                continue
            valid = False
            problem = _head_problem(cp, report, shard, position, signed_hash, found, shard in intact)
            if problem is not None:
                report.problems.append(problem)
        if valid and newest != cp.sequence:
            report.problems.append(
                Problem(
                    "checkpoint_mismatch",
                    f"{_name(cp)} names record {cp.sequence} as its newest, but its heads' newest is {newest}",
                    checkpoint_id=cp.pk,
                    record_id=cp.sequence,
                )
            )
            valid = False
        if valid:
            for shard, position, _ in checkpoint_heads(cp):
                covered[shard] = max(covered.get(shard, 0), position)
    return covered


def _head_problem(
    cp: AuditCheckpoint, report: Report, shard: int, position: int, signed_hash: str, found: _Seen | None, intact: bool
) -> Problem | None:
    """What is wrong with one head a valid signature covers (None: the shard is broken, reported already)."""
    where = {"checkpoint_id": cp.pk, "shard": shard, "position": position}
    last = report.heads.get(shard, 0)
    if position > last:
        return Problem(
            "checkpoint_beyond_head",
            f"{_name(cp)} signed shard {shard} up to record {position}, but the shard ends at record {last}",
            **where,
        )
    if found is not None:
        return Problem(
            "checkpoint_mismatch",
            f"{_name(cp)}: shard {shard} record {position} is not the record that was signed",
            record_id=found.record_id, expected=signed_hash, found=found.hash, **where,
        )  # fmt: skip
    if intact:
        return Problem("checkpoint_mismatch", f"{_name(cp)}: shard {shard} record {position} is missing", **where)
    return None


def _uncovered(report: Report, covered: dict[int, int]) -> Uncovered | None:
    """Name the records after the last valid checkpoint of each shard, and whether the pace should have signed."""
    ranges = tuple(
        (shard, covered.get(shard, 0) + 1, last)
        for shard, last in sorted(report.heads.items())
        if last > covered.get(shard, 0)
    )
    if not ranges:
        return None
    firsts = Q()
    for shard, first, _ in ranges:
        firsts |= Q(shard=shard, shard_sequence=first)
    oldest = AuditRecord.objects.filter(firsts).aggregate(oldest=Min("occurred_at"))["oldest"]
    every_records = settings.QENEX_AUDIT_CHECKPOINT_EVERY_RECORDS
    every_seconds = settings.QENEX_AUDIT_CHECKPOINT_EVERY_SECONDS
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else float("inf")
    uncovered = Uncovered(ranges, overdue=False)
    # Writers sign the first record at once, then when the newest checkpoint is N records or S seconds behind
    # at their next write (beat covers a quiet tail): allow one more interval before calling a tail overdue.
    overdue = not covered or uncovered.count > every_records or age > 2 * every_seconds
    return Uncovered(ranges, overdue)


def audit_chain_verify(
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    external: list[AuditCheckpoint] | None = None,
) -> Report:
    """Verify every shard: each record's hash and link, its head, and every checkpoint's signature and heads.

    ``external`` are checkpoints read from an off-box copy (``apps.audit.external``); they are checked like the
    database's, so a chain rewritten after they were exported fails even if the database's checkpoints were
    rewritten too. ``report.uncovered`` names the records no valid checkpoint covers.
    """
    report = Report()
    external = external or []
    heads = _heads(report)
    stored = list(AuditCheckpoint.objects.order_by("id"))
    wanted = {(shard, position) for cp in [*stored, *external] for shard, position, _ in _signed_heads(cp)}
    seen: dict[tuple[int, int], _Seen] = {}
    intact = {
        shard
        for shard, head_hash in heads.items()
        if _walk_shard(report, shard, head_hash, batch_size, progress, wanted, seen)
    }
    trusted = signing.trusted_public_keys()
    covered = _check_checkpoints(report, seen, intact, stored, trusted)
    for shard, position in _check_checkpoints(report, seen, intact, external, trusted).items():
        covered[shard] = max(covered.get(shard, 0), position)
    if report.ok:
        report.uncovered = _uncovered(report, covered)
    return report


def _signed_heads(cp: AuditCheckpoint) -> list[list]:
    """The heads a checkpoint claims, or none when they are malformed (its signature check reports that)."""
    if cp.heads is not None and not _well_formed(cp.heads):
        return []
    return checkpoint_heads(cp)

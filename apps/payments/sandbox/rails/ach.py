"""NACHA ACH (an operator such as FedACH): a file in, a file acknowledgement and return files out.

De-duplication is on the file id (immediate origin, creation date and time, file id modifier): a
resent file gets the original answer. Entries are counted by trace number; an entry whose trace
number the network already processed in an earlier file is not settled again and is listed in the
acknowledgement as a duplicate entry.

The acknowledgement is a JSON document (FedACH acknowledges files with a report, not a NACHA
file): file id, ACCEPTED or REJECTED, batch and entry counts, debit and credit totals in cents, and
for a rejection the reason and the problems. Returns are NACHA files built with
:func:`~apps.payments.formats.nacha.return_entry_for` (addenda 99 quoting the original trace
number), one batch per original batch and returning bank, so they read with ``parse_ach_file``. Return and NOC
batches are dated the next Federal Reserve banking day after the day they are made (their settlement date).

Per-entry answers (:class:`EntryAnswer`, ``POST /_sandbox/ach/answer``): "trace number X comes back R01",
"trace number Y gets a NOC C01 with this corrected data". An entry with an answer gets it whatever the file's
outcome (as long as the file settles); the others follow the file's outcome. The answered entries of one file
travel in one return file and one NOC file (per answer delay).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from apps.payments.business_days import FED, banking_day_after
from apps.payments.formats import nacha
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.nacha import (
    AchFile,
    Batch,
    EntryDetail,
    FileHeader,
    aba_check_digit,
    build_ach_file,
    compute_batch_totals,
    notification_of_change_for,
    return_entry_for,
)
from apps.payments.formats.nacha.codes import CHANGE_CODES, RETURN_CODE_FOR, RETURN_REASON_CODES

from ..outcomes import ACCEPT, NOC, REJECT, RETURN, Outcome
from .base import AnswerContext, Received, Reply

ACK_TYPE = "ACH file acknowledgement"
RETURN_TYPE = "ACH return file"
NOC_TYPE = "ACH notification of change"
CORRECTED_ROUTING = "011000015"  # a valid ABA number (Federal Reserve Bank of Boston): what a C02 "corrects" to
JSON = "application/json"
NACHA = "text/plain; charset=us-ascii"
INVALID_FILE = "invalid_file"
ENTRY_ANSWERS = "entry_answers"  # AnswerContext.extra key: {trace number: EntryAnswer} not yet applied
CORRECTED_DATA_LENGTH = 29  # addenda 98, positions 36-64
MAX_ANSWER_SECONDS = 86_400.0


class AnswerRefused(ValueError):
    """A per-entry answer the sandbox cannot take (what is wrong, in ``code`` and ``field``)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class EntryAnswer:
    """What the receiving bank will answer about one entry: a return with an R code or a NOC with a C code.

    ``corrected_data`` is the NOC's addenda 98 corrected data in NACHA's layout for the change code (for C01
    simply the right account number); empty: :func:`corrected_data` makes one up. ``after_seconds`` is how long
    after the settlement (or after the answer is given, for an entry already settled) the file comes: the
    "next day" of a real network, compressed; None: twice the network's delay.
    """

    trace_number: str
    kind: str  # RETURN or NOC
    code: str
    corrected_data: str = ""
    after_seconds: float | None = None

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> EntryAnswer:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


def parse_entry_answer(data: object) -> EntryAnswer:
    """Read ``{"trace_number", "return": "R01"}`` or ``{"trace_number", "noc": "C01", "corrected_data"}``
    (plus an optional ``after_seconds``); raise AnswerRefused naming the field."""
    if not isinstance(data, dict):
        raise AnswerRefused("invalid_answer", "each answer must be a JSON object", "answer")
    unknown = sorted(set(data) - {"trace_number", RETURN, NOC, "corrected_data", "after_seconds"})
    if unknown:
        raise AnswerRefused("unknown_field", f"{unknown[0]} is not a field of an answer", unknown[0])
    trace = data.get("trace_number")
    if not (isinstance(trace, str) and len(trace) == 15 and trace.isascii() and trace.isdigit()):
        raise AnswerRefused("invalid_trace_number", "trace_number must be the entry's 15 digits", "trace_number")
    if (RETURN in data) == (NOC in data):
        raise AnswerRefused("invalid_answer", "give either return (an R code) or noc (a C code)", RETURN)
    kind = RETURN if RETURN in data else NOC
    code = data[kind]
    known = RETURN_REASON_CODES if kind == RETURN else CHANGE_CODES
    if not isinstance(code, str) or code.upper() not in known:
        what = "a NACHA return reason code (R01...)" if kind == RETURN else "a NACHA change code (C01...)"
        raise AnswerRefused(f"unknown_{kind}_code", f"{kind} must be {what}, got {code!r}", kind)
    corrected = data.get("corrected_data", "")
    if corrected and kind != NOC:
        raise AnswerRefused("unexpected_field", "corrected_data goes with a noc", "corrected_data")
    if (
        not isinstance(corrected, str)
        or len(corrected) > CORRECTED_DATA_LENGTH
        or not (corrected.isascii() and corrected.isprintable())
    ):
        raise AnswerRefused(
            "invalid_corrected_data",
            f"corrected_data must be at most {CORRECTED_DATA_LENGTH} printable ASCII characters",
            "corrected_data",
        )
    after = data.get("after_seconds")
    if after is not None and (
        isinstance(after, bool) or not isinstance(after, int | float) or not 0 <= after <= MAX_ANSWER_SECONDS
    ):
        raise AnswerRefused(
            "invalid_after_seconds",
            f"after_seconds must be a number from 0 to {MAX_ANSWER_SECONDS:.0f}",
            "after_seconds",
        )
    return EntryAnswer(trace, kind, code.upper(), corrected.upper(), None if after is None else float(after))


def file_id(header: FileHeader) -> str:
    created = (
        f"{header.file_creation_date:%y%m%d}{header.file_creation_time:%H%M}"
        if header.file_creation_time
        else (f"{header.file_creation_date:%y%m%d}")
    )
    return f"{header.immediate_origin.strip()}-{created}-{header.file_id_modifier}"


def _entries(ach_file: AchFile) -> list[tuple[Batch, EntryDetail]]:
    return [(batch, entry) for batch in ach_file.batches for entry in batch.entries]


@dataclass(frozen=True)
class AchRail:
    name: str = "ach"
    path: str = "files"
    default_reject_reason: str = "file_rejected"
    supports_return: bool = True

    def read(self, raw: bytes, already_seen: set[str]) -> Received:
        try:
            ach_file = nacha.parse(raw)
        except MessageValidationError as exc:
            return Received.refused(raw, exc.message_type, tuple(exc.errors))
        key = file_id(ach_file.header)
        traces = tuple(entry.trace_number for _, entry in _entries(ach_file))
        repeated = tuple(trace for trace in traces if trace in already_seen)
        return Received(key, (key, *traces), ach_file.message_type, parsed=ach_file, already_seen=repeated)

    def answer(self, received: Received, outcome: Outcome, context: AnswerContext) -> list[Reply]:
        delay = context.delay_seconds
        if not received.valid:
            errors = [str(e) for e in received.errors]
            return [_acknowledgement(received, context, "REJECTED", INVALID_FILE, delay, errors=errors)]
        if outcome.kind == REJECT:
            reason = outcome.reason or self.default_reject_reason
            return [_acknowledgement(received, context, "REJECTED", reason, delay)]
        if outcome.kind not in (ACCEPT, RETURN, NOC):
            return []
        replies = [_acknowledgement(received, context, "ACCEPTED", None, delay)]
        ach_file: AchFile = received.parsed
        settled = [(b, e) for b, e in _entries(ach_file) if e.trace_number not in received.already_seen]
        returnable = [
            (b, e) for b, e in settled if isinstance(e, EntryDetail) and e.transaction_code in RETURN_CODE_FOR
        ]
        answers: dict[str, EntryAnswer] = context.extra.get(ENTRY_ANSWERS, {})
        answered = [(b, e, answers[e.trace_number]) for b, e in returnable if e.trace_number in answers]
        replies += entry_answer_replies(ach_file, answered, context)
        returnable = [(b, e) for b, e in returnable if e.trace_number not in answers]
        if outcome.kind == NOC:
            if returnable:
                code = outcome.reason or "C01"
                corrections = [(b, e, code, corrected_data(e, code)) for b, e in returnable]
                replies.append(_noc_file(ach_file, corrections, context, 2 * delay))
            return replies
        if outcome.kind == RETURN:
            returned = [(b, e, outcome.reason or context.default_return_reason) for b, e in returnable]
        else:
            returned = [
                (b, e, context.default_return_reason)
                for b, e in returnable
                if context.rng.random() < context.return_rate
            ]
        if returned:
            replies.append(_return_file(ach_file, returned, context, 2 * delay))
        return replies


def _acknowledgement(
    received: Received,
    context: AnswerContext,
    status: str,
    reason: str | None,
    after: float,
    errors: list[str] | None = None,
) -> Reply:
    document: dict[str, object] = {
        "acknowledgement_id": f"{context.network_reference}-1",
        "file_id": received.key,
        "status": status,
        "reason": reason,
        "received_at": context.now.isoformat(),
    }
    if received.parsed is not None:
        ach_file: AchFile = received.parsed
        totals = [compute_batch_totals(batch) for batch in ach_file.batches]
        document.update(
            batch_count=len(ach_file.batches),
            entry_count=sum(len(batch.entries) for batch in ach_file.batches),
            total_debit_cents=sum(t.total_debit for t in totals),
            total_credit_cents=sum(t.total_credit for t in totals),
            duplicate_entries=list(received.already_seen),
        )
    if errors:
        document["errors"] = errors
    return Reply("file_ack", status, ACK_TYPE, JSON, json.dumps(document, sort_keys=True), after, reason)


def _return_file(
    ach_file: AchFile, returned: list[tuple[Batch, EntryDetail, str]], context: AnswerContext, after: float
) -> Reply:
    original = ach_file.header
    odfi = ach_file.batches[0].header.odfi_identification
    header = FileHeader(
        immediate_destination=f"{odfi}{aba_check_digit(odfi)}",
        immediate_origin=original.immediate_destination.strip(),
        file_creation_date=context.now.date(),
        file_creation_time=context.now.time().replace(second=0, microsecond=0),
        file_id_modifier="A",
        immediate_destination_name=original.immediate_origin_name,
        immediate_origin_name=original.immediate_destination_name,
        reference_code=context.network_reference[-8:],
    )
    groups: dict[tuple[int, str], list[tuple[EntryDetail, str]]] = {}
    for batch, entry, reason in returned:
        groups.setdefault((batch.header.batch_number, entry.rdfi_routing[:8]), []).append((entry, reason))
    batches = []
    by_number = {batch.header.batch_number: batch for batch in ach_file.batches}
    for number, ((batch_number, rdfi), entries) in enumerate(sorted(groups.items()), start=1):
        batch_header = dataclasses.replace(
            by_number[batch_number].header,
            odfi_identification=rdfi,
            batch_number=number,
            effective_entry_date=banking_day_after(context.now, FED),  # settles the next banking day
        )
        batches.append(
            Batch(
                batch_header,
                tuple(
                    return_entry_for(
                        entry, return_reason_code=reason, returning_dfi_identification=rdfi, sequence=index
                    )
                    for index, (entry, reason) in enumerate(entries, start=1)
                ),
            )
        )
    body = build_ach_file(AchFile(header, tuple(batches))).decode("ascii")
    reasons = sorted({reason for _, _, reason in returned})
    return Reply("return", "RETURNED", RETURN_TYPE, NACHA, body, after, ",".join(reasons))


def corrected_data(entry: EntryDetail, change_code: str) -> str:
    """What the receiving bank says the right details are, in NACHA's layout for ``change_code`` (deterministic)."""
    account = (entry.account_number.strip() + "1")[:17]
    code = f"{32 if entry.transaction_code < 30 else 22:02d}"  # the other account type's credit code
    layouts = {
        "C01": account,
        "C02": CORRECTED_ROUTING,
        "C03": f"{CORRECTED_ROUTING}   {account}",
        "C04": "CORRECTED NAME",
        "C05": code,
        "C06": f"{account.ljust(17)}   {code}",
        "C07": f"{CORRECTED_ROUTING}{account.ljust(17)}{code}",
    }
    return layouts.get(change_code, "CORRECTED")


def entry_answer_replies(
    ach_file: AchFile, answered: list[tuple[Batch, EntryDetail, EntryAnswer]], context: AnswerContext
) -> list[Reply]:
    """The return file and the NOC file carrying the per-entry answers (one of each per answer delay)."""
    replies = []

    def after_of(answer: EntryAnswer) -> float:
        return 2 * context.delay_seconds if answer.after_seconds is None else answer.after_seconds

    for after in sorted({after_of(a) for _, _, a in answered}):
        due = [(b, e, a) for b, e, a in answered if after_of(a) == after]
        returned = [(b, e, a.code) for b, e, a in due if a.kind == RETURN]
        corrected = [(b, e, a.code, a.corrected_data or corrected_data(e, a.code)) for b, e, a in due if a.kind == NOC]
        if returned:
            replies.append(_return_file(ach_file, returned, context, after))
        if corrected:
            replies.append(_noc_file(ach_file, corrected, context, after))
    return replies


def _noc_file(
    ach_file: AchFile, entries: list[tuple[Batch, EntryDetail, str, str]], context: AnswerContext, after: float
) -> Reply:
    """A COR batch (zero-amount entries with addenda 98) from the receiving bank, one per entry it corrects."""
    original = ach_file.header
    odfi = ach_file.batches[0].header.odfi_identification
    header = FileHeader(
        immediate_destination=f"{odfi}{aba_check_digit(odfi)}",
        immediate_origin=original.immediate_destination.strip(),
        file_creation_date=context.now.date(),
        file_creation_time=context.now.time().replace(second=0, microsecond=0),
        file_id_modifier="C",
        immediate_destination_name=original.immediate_origin_name,
        immediate_origin_name=original.immediate_destination_name,
        reference_code=context.network_reference[-8:],
    )
    batches = []
    for number, (batch, entry, change_code, corrected) in enumerate(entries, start=1):
        rdfi = entry.rdfi_routing[:8]
        cor_header = dataclasses.replace(
            batch.header,
            standard_entry_class="COR",
            company_entry_description="NOC",
            odfi_identification=rdfi,
            batch_number=number,
            effective_entry_date=banking_day_after(context.now, FED),  # settles the next banking day
        )
        cor = notification_of_change_for(
            entry,
            change_code=change_code,
            corrected_data=corrected,
            returning_dfi_identification=rdfi,
            sequence=number,
        )
        batches.append(Batch(cor_header, (cor,)))
    body = build_ach_file(AchFile(header, tuple(batches))).decode("ascii")
    codes = ",".join(sorted({change_code for _, _, change_code, _ in entries}))
    return Reply("noc", "CORRECTED", NOC_TYPE, NACHA, body, after, codes)

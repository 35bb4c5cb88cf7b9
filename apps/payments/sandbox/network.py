"""The network: takes submissions, de-duplicates them, schedules the answers and publishes the feed.

Everything the network knows is one JSON-shaped ``state`` dict guarded by one lock, so persisting it
(``--state-file``) is a dump and a restart is a load. Answers are *scheduled* with a due time (wall
clock, so they survive a restart) and *published* into the per-rail feed when a request finds them
due; nothing runs in the background. The feed cursor is one counter for all rails, so a cursor a
client holds stays valid after a restart.

Building and validating messages is slow (XSD), so it runs outside the lock: the network reserves a
sequence number, reads and answers the message, then re-checks the de-duplication key under the lock
before recording it — of two identical submissions racing, the second becomes a duplicate.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apps.payments.formats import nacha
from apps.payments.formats.detect import validate_file
from apps.payments.formats.nacha.codes import CHANGE_CODES, RETURN_REASON_CODES

from .config import SandboxConfig
from .outcomes import ACCEPT, NOC, REJECT, RETURN, Outcome, draw_outcome, message_rng
from .rails import RAILS, AnswerContext, Rail
from .rails.ach import ENTRY_ANSWERS, EntryAnswer, entry_answer_replies
from .statements import build_statement, settlement_records

INBOUND_KINDS = ("return", "noc")
REFERENCE_PREFIX = {"sepa": "SCT", "sepa_inst": "INST", "swift": "FIN", "fedwire": "FED", "ach": "ACH"}
STATE_VERSION = 1


class SubmissionRefused(ValueError):
    """The request cannot be taken (bad outcome header for this rail); nothing was recorded."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class SubmitResult:
    body: dict[str, Any]
    stall: bool


def _empty_state() -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "sequence": 0,
        "cursor": 0,
        "order": 0,
        "submissions": {},  # network reference -> submission
        "index": {},  # "<rail>:<key>" -> network reference
        "seen": {},  # id -> [{"rail", "network_reference", "received_at", "duplicate"}]
        "settled": {},  # "<rail>:<id>" -> network reference, for ids the network settled (ACH traces)
        "pending": [],  # [{"due_at", "order", "network_reference", "reply_index"}]
        "feed": [],  # [{"cursor", "rail", "network_reference", "reply_index"}]
        # What the network delivers to the bank unasked: returns and change notices of its payments, and
        # messages other banks send it (injected with POST /<rail>/inbound). One counter for all rails.
        "inbound_cursor": 0,
        "inbound": [],  # [{"cursor", "rail", "inbound_id", "message_type", "body"}]
        # ACH per-entry answers (POST /_sandbox/ach/answer): trace number -> EntryAnswer fields + "status"
        # ("pending" until the entry settles, then "answered" with the network reference of its file).
        "ach_answers": {},
    }


class Network:
    def __init__(
        self,
        config: SandboxConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.Lock()
        self.state = self._load()

    # ------------------------------------------------------------------ persistence
    def _load(self) -> dict[str, Any]:
        path = self.config.state_file
        if path is None or not Path(path).exists():
            return _empty_state()
        state = json.loads(Path(path).read_text())
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"{path}: state version {state.get('version')!r}, expected {STATE_VERSION}")
        state.setdefault("inbound_cursor", 0)  # a state file written before the inbound feed existed
        state.setdefault("inbound", [])
        state.setdefault("ach_answers", {})
        return state

    def _save(self) -> None:
        path = self.config.state_file
        if path is None:
            return
        directory = Path(path).resolve().parent
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sandbox-state-")
        with os.fdopen(fd, "w") as handle:
            json.dump(self.state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # atomic: a crash leaves the old or the new state, never half of one

    # ------------------------------------------------------------------ submit
    def rail(self, name: str) -> Rail:
        return RAILS[name]

    def _check_outcome(self, rail: Rail, outcome: Outcome) -> None:
        if outcome.kind == RETURN and not rail.supports_return:
            raise SubmissionRefused(
                "unsupported_outcome", f"{rail.name} has no returns (transfers are final)", "X-Sandbox-Outcome"
            )
        if outcome.kind == NOC and (rail.name != "ach" or (outcome.reason and outcome.reason not in CHANGE_CODES)):
            raise SubmissionRefused(
                "unsupported_outcome", "noc takes an ACH file and a NACHA change code (noc:C01)", "X-Sandbox-Outcome"
            )
        if (
            outcome.kind == RETURN
            and rail.name == "ach"
            and outcome.reason
            and outcome.reason not in RETURN_REASON_CODES
        ):
            raise SubmissionRefused(
                "unknown_return_reason", f"{outcome.reason} is not a NACHA return reason code", "X-Sandbox-Outcome"
            )

    def submit(self, rail_name: str, raw: bytes, forced: Outcome | None) -> SubmitResult:
        rail = self.rail(rail_name)
        if forced is not None:
            self._check_outcome(rail, forced)
        with self.lock:
            settled = {key.split(":", 1)[1] for key in self.state["settled"] if key.startswith(f"{rail_name}:")}
            self.state["sequence"] += 1
            sequence = self.state["sequence"]
            answers = self._pending_answers() if rail_name == "ach" else {}
        received = rail.read(raw, settled)
        network_reference = f"{REFERENCE_PREFIX[rail_name]}{sequence:010d}"
        if forced is not None:
            outcome = forced
        else:
            rng = message_rng(self.config.seed, rail_name, received.key)
            outcome = draw_outcome(self.config.rates, rng, supports_return=rail.supports_return)
        received_at = self.clock()
        context = AnswerContext(
            network_reference=network_reference,
            sequence=sequence,
            now=datetime.fromtimestamp(received_at, tz=UTC),
            delay_seconds=self.config.delay_seconds,
            rng=message_rng(self.config.seed, f"{rail_name}:answer", received.key),
            return_rate=self.config.rates.return_,
            extra={"raw": raw, ENTRY_ANSWERS: answers},
        )
        if outcome.kind == REJECT and outcome.reason is None and rail_name in self.config.reject_reasons:
            outcome = replace(outcome, reason=self.config.reject_reasons[rail_name])
        replies = rail.answer(received, outcome, context)
        with self.lock:
            self._publish_due()
            existing = self.state["index"].get(f"{rail_name}:{received.key}")
            if existing is not None:
                body = self._record_duplicate(rail_name, existing, received.ids, received_at)
            else:
                body = self._record_new(rail_name, network_reference, received, outcome, replies, received_at)
                if rail_name == "ach" and received.valid:
                    # Kept for answers about its entries given later (the file is ASCII: it read).
                    self.state["submissions"][network_reference]["raw"] = raw.decode("ascii")
                    self._mark_answered(answers, network_reference)
            self._answer_settled_entries()  # answers given while this file was being read
            self._save()
        return SubmitResult(body=body, stall=outcome.stall)

    def _record_seen(
        self, rail_name: str, ids: tuple[str, ...] | list[str], reference: str, at: float, duplicate: bool
    ) -> None:
        for ident in dict.fromkeys(ids):
            self.state["seen"].setdefault(ident, []).append(
                {"rail": rail_name, "network_reference": reference, "received_at": at, "duplicate": duplicate}
            )

    def _record_duplicate(self, rail_name: str, reference: str, ids: tuple[str, ...], at: float) -> dict[str, Any]:
        submission = self.state["submissions"][reference]
        submission["times_seen"] += 1
        self._record_seen(rail_name, ids, reference, at, True)
        return self._receipt(submission, duplicate=True)

    def _record_new(
        self, rail_name: str, reference: str, received, outcome: Outcome, replies: list, at: float
    ) -> dict[str, Any]:
        submission = {
            "network_reference": reference,
            "rail": rail_name,
            "message_id": received.key,
            "ids": list(received.ids),
            "message_type": received.message_type,
            "valid": received.valid,
            "errors": [str(error) for error in received.errors],
            "outcome": outcome.to_json(),
            "received_at": at,
            "times_seen": 1,
            "replies": [],
        }
        self.state["submissions"][reference] = submission
        self.state["index"][f"{rail_name}:{received.key}"] = reference
        self._record_seen(rail_name, received.ids, reference, at, False)
        if received.valid and outcome.kind in (ACCEPT, RETURN, NOC):
            for ident in received.ids:
                if ident not in received.already_seen:
                    self.state["settled"].setdefault(f"{rail_name}:{ident}", reference)
        if received.valid and outcome.kind == ACCEPT:
            # What the end-of-day statement shows (GET /_sandbox/statement, .statements).
            self.state.setdefault("statement_records", []).extend(
                settlement_records(rail_name, received.parsed, reference, at)
            )
        dues = [at + reply.after_seconds for reply in replies]
        if outcome.out_of_order and dues:
            # Reverse the answers and hold them back, so later messages' answers overtake them.
            late = max(3 * self.config.delay_seconds, 0.3)
            dues = [due + late for due in reversed(dues)]
        for index, (reply, due) in enumerate(zip(replies, dues, strict=True)):
            submission["replies"].append({**asdict(reply), "reply_id": f"{reference}-{index + 1}", "published": False})
            self._schedule(reference, index, due)
            if outcome.duplicate_ack:
                self._schedule(reference, index, due + max(self.config.delay_seconds / 2, 0.05))
        return self._receipt(submission, duplicate=False)

    # ------------------------------------------------------------------ ACH per-entry answers
    def _pending_answers(self) -> dict[str, EntryAnswer]:
        return {
            trace: EntryAnswer.from_json(answer)
            for trace, answer in self.state["ach_answers"].items()
            if answer["status"] == "pending"
        }

    def _mark_answered(self, answers: dict[str, EntryAnswer], reference: str) -> None:
        """The answers the file ``reference`` carried out (its entries settled with it) are given."""
        for trace in answers:
            if self.state["settled"].get(f"ach:{trace}") == reference:
                self.state["ach_answers"][trace].update(status="answered", network_reference=reference)

    def _answer_settled_entries(self) -> None:
        """Pending answers about entries the network already settled: their return / NOC files, due from now."""
        by_file: dict[str, dict[str, EntryAnswer]] = {}
        for trace, answer in self._pending_answers().items():
            reference = self.state["settled"].get(f"ach:{trace}")
            if reference is not None and "raw" in self.state["submissions"][reference]:
                by_file.setdefault(reference, {})[trace] = answer
        now = self.clock()
        for reference, answers in sorted(by_file.items()):
            submission = self.state["submissions"][reference]
            ach_file = nacha.parse(submission["raw"].encode("ascii"))
            entries = [(b, e) for b in ach_file.batches for e in b.entries if e.trace_number in answers]
            context = AnswerContext(
                network_reference=reference,
                sequence=self.state["sequence"],
                now=datetime.fromtimestamp(now, tz=UTC),
                delay_seconds=self.config.delay_seconds,
                rng=message_rng(self.config.seed, "ach:late", reference),
            )
            replies = entry_answer_replies(ach_file, [(b, e, answers[e.trace_number]) for b, e in entries], context)
            for reply in replies:
                index = len(submission["replies"])
                submission["replies"].append(
                    {**asdict(reply), "reply_id": f"{reference}-{index + 1}", "published": False}
                )
                self._schedule(reference, index, now + reply.after_seconds)
            for trace in answers:
                self.state["ach_answers"][trace].update(status="answered", network_reference=reference)

    def ach_answer(self, answers: list[EntryAnswer]) -> list[dict[str, Any]]:
        """Record what the receiving banks answer about these entries (all or none); an entry the network already
        settled gets its return / NOC file now, the others when their file arrives. Answering an entry again
        replaces a pending answer; one already given is refused."""
        with self.lock:
            self._publish_due()
            given = [
                a.trace_number
                for a in answers
                if self.state["ach_answers"].get(a.trace_number, {}).get("status") == "answered"
            ]
            if given:
                raise SubmissionRefused(
                    "already_answered", f"the network already answered entry {given[0]}", "trace_number"
                )
            now = self.clock()
            for answer in answers:
                self.state["ach_answers"][answer.trace_number] = {
                    **answer.to_json(),
                    "status": "pending",
                    "given_at": _iso(now),
                    "network_reference": None,
                }
            self._answer_settled_entries()
            self._save()
            return [dict(self.state["ach_answers"][a.trace_number]) for a in answers]

    def ach_answers(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(answer) for answer in self.state["ach_answers"].values()]

    def _schedule(self, reference: str, index: int, due: float) -> None:
        self.state["order"] += 1
        self.state["pending"].append(
            {"due_at": due, "order": self.state["order"], "network_reference": reference, "reply_index": index}
        )

    def _receipt(self, submission: dict[str, Any], *, duplicate: bool) -> dict[str, Any]:
        rail = submission["rail"]
        path = self.rail(rail).path
        return {
            "network_reference": submission["network_reference"],
            "message_id": submission["message_id"],
            "rail": rail,
            "message_type": submission["message_type"],
            "duplicate": duplicate,
            "times_seen": submission["times_seen"],
            "received_at": _iso(submission["received_at"]),
            "status_url": f"/{rail}/{path}/{submission['network_reference']}/status",
        }

    # ------------------------------------------------------------------ publish and read
    def _publish_due(self) -> bool:
        now = self.clock()
        pending = self.state["pending"]
        due = sorted((item for item in pending if item["due_at"] <= now), key=lambda i: (i["due_at"], i["order"]))
        if not due:
            return False
        self.state["pending"] = [item for item in pending if item["due_at"] > now]
        for item in due:
            submission = self.state["submissions"][item["network_reference"]]
            reply = submission["replies"][item["reply_index"]]
            if reply["kind"] in INBOUND_KINDS and not reply["published"]:
                # A return or a change notice is a new message to the bank: it also goes to the inbound feed.
                self._deliver(submission["rail"], reply["reply_id"], reply["message_type"], reply["body"])
            reply["published"] = True
            self.state["cursor"] += 1
            self.state["feed"].append(
                {
                    "cursor": self.state["cursor"],
                    "rail": submission["rail"],
                    "network_reference": item["network_reference"],
                    "reply_index": item["reply_index"],
                }
            )
        return True

    def _deliver(self, rail_name: str, inbound_id: str, message_type: str, body: str) -> int:
        self.state["inbound_cursor"] += 1
        cursor = self.state["inbound_cursor"]
        self.state["inbound"].append(
            {"cursor": cursor, "rail": rail_name, "inbound_id": inbound_id, "message_type": message_type, "body": body}
        )
        return cursor

    def deliver(self, rail_name: str, raw: bytes) -> dict[str, Any]:
        """Put a message another bank sends us on ``rail_name``'s inbound feed (validated with our parsers)."""
        self.rail(rail_name)
        report = validate_file(raw)
        if not report.valid:
            first = "; ".join(str(error) for error in report.errors[:3])
            raise SubmissionRefused("invalid_message", f"{report.message_type}: {first}", "body")
        with self.lock:
            self._publish_due()
            self.state["sequence"] += 1
            inbound_id = f"IN{REFERENCE_PREFIX[rail_name]}{self.state['sequence']:010d}"
            cursor = self._deliver(rail_name, inbound_id, report.message_type, raw.decode("utf-8", "replace"))
            self._save()
        return {"inbound_id": inbound_id, "cursor": cursor, "message_type": report.message_type}

    def inbound(self, rail_name: str, since: int, limit: int) -> dict[str, Any]:
        with self.lock:
            self._tick()
            messages = [m for m in self.state["inbound"] if m["rail"] == rail_name and m["cursor"] > since][:limit]
            return {"messages": messages, "next_cursor": messages[-1]["cursor"] if messages else since}

    def _tick(self) -> None:
        if self._publish_due():
            self._save()

    def _find(self, rail_name: str, ident: str) -> dict[str, Any] | None:
        submission = self.state["submissions"].get(ident)
        if submission is None:
            reference = self.state["index"].get(f"{rail_name}:{ident}")
            submission = self.state["submissions"].get(reference) if reference else None
        if submission is None or submission["rail"] != rail_name:
            return None
        return submission

    def status(self, rail_name: str, ident: str) -> dict[str, Any] | None:
        with self.lock:
            self._tick()
            submission = self._find(rail_name, ident)
            if submission is None:
                return None
            published = [_reply_json(submission, i) for i, r in enumerate(submission["replies"]) if r["published"]]
            finished = bool(submission["replies"]) and len(published) == len(submission["replies"])
            return {
                **self._receipt(submission, duplicate=submission["times_seen"] > 1),
                "state": "final" if finished else "pending",
                "valid": submission["valid"],
                "errors": submission["errors"],
                "replies": published,
            }

    def acks(self, rail_name: str, since: int, limit: int) -> dict[str, Any]:
        with self.lock:
            self._tick()
            entries = [e for e in self.state["feed"] if e["rail"] == rail_name and e["cursor"] > since][:limit]
            acks = [
                {
                    "cursor": entry["cursor"],
                    **_reply_json(self.state["submissions"][entry["network_reference"]], entry["reply_index"]),
                }
                for entry in entries
            ]
            next_cursor = acks[-1]["cursor"] if acks else since
            return {"acks": acks, "next_cursor": next_cursor}

    def statement(self, **request: Any) -> tuple[str, bytes]:
        """The end-of-day statement of one currency from what the network settled (see .statements)."""
        with self.lock:
            records = list(self.state.get("statement_records", []))
        return build_statement(records, **request)

    def seen(self, ident: str, rail_name: str | None = None) -> dict[str, Any]:
        with self.lock:
            submissions = [s for s in self.state["seen"].get(ident, []) if rail_name in (None, s["rail"])]
            return {
                "id": ident,
                "count": len(submissions),
                "submissions": [{**s, "received_at": _iso(s["received_at"])} for s in submissions],
            }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _reply_json(submission: dict[str, Any], index: int) -> dict[str, Any]:
    reply = submission["replies"][index]
    return {
        "reply_id": reply["reply_id"],
        "network_reference": submission["network_reference"],
        "message_id": submission["message_id"],
        "kind": reply["kind"],
        "status": reply["status"],
        "reason": reply["reason"],
        "message_type": reply["message_type"],
        "content_type": reply["content_type"],
        "body": reply["body"],
    }

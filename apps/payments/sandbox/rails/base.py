"""What every rail provides to the network: read a submission, and answer it."""

from __future__ import annotations

import hashlib
import random
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from apps.payments.formats.errors import FieldError

from ..outcomes import Outcome


@dataclass(frozen=True)
class Received:
    """A submission as the network read it.

    ``key`` is the deterministic id the network de-duplicates on (UETR, MT :20:+UETR, IMAD, ACH file
    id); ``ids`` every id worth counting in "how many times did the network see X" (the key first).
    ``parsed`` is the domain object when the message reads, else None and ``errors`` say why.
    """

    key: str
    ids: tuple[str, ...]
    message_type: str
    errors: tuple[FieldError, ...] = ()
    parsed: Any = None
    #: ids inside this submission the network already processed in an earlier one (ACH trace numbers)
    already_seen: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors

    @classmethod
    def refused(
        cls,
        raw: bytes,
        message_type: str,
        errors: tuple[FieldError, ...],
        *,
        parsed: Any = None,
        also_counted: tuple[str, ...] = (),
    ) -> Received:
        """A submission the network will reject: keyed on its body, never on an id it merely shows.

        An id inside a message that does not read (or is of the wrong type) is not trusted for de-duplication,
        so a resend of the same bytes is the same submission and anything else is a new one.
        """
        key = "sha256:" + hashlib.sha256(raw).hexdigest()
        return cls(key, (key, *also_counted), message_type, errors, parsed=parsed)


@dataclass(frozen=True)
class Reply:
    """One answer of the network, published in the feed ``after_seconds`` after the submission."""

    kind: str  # status, confirmation, ack, nak, return, file_ack
    status: str  # ACCP, ACSC, RJCT, NAK, ACCEPTED, REJECTED, RETURNED, ...
    message_type: str
    content_type: str
    body: str
    after_seconds: float
    reason: str | None = None


@dataclass
class AnswerContext:
    """What a rail needs to answer: the network's reference, the clock and the per-message RNG."""

    network_reference: str
    sequence: int
    now: datetime
    delay_seconds: float
    rng: random.Random
    return_rate: float = 0.0
    default_return_reason: str = "R01"
    extra: dict[str, Any] = field(default_factory=dict)


class Rail(Protocol):
    name: str
    path: str  # "messages" or "files"
    default_reject_reason: str
    supports_return: bool

    def read(self, raw: bytes, already_seen: set[str]) -> Received: ...

    def answer(self, received: Received, outcome: Outcome, context: AnswerContext) -> list[Reply]: ...


def describe_errors(errors: tuple[FieldError, ...], width: int, max_lines: int) -> list[str]:
    """Return the errors as lines of at most ``width`` characters, at most ``max_lines`` lines.

    Nothing is cut silently: when lines are left out the last line says how many errors were not shown.
    """
    lines: list[str] = []
    for shown, error in enumerate(errors):
        wrapped = textwrap.wrap(str(error), width=width) or [""]
        remaining = len(errors) - shown
        room = max_lines - len(lines) - (1 if remaining > 1 else 0)
        if len(wrapped) > room:
            lines.append(f"(+{remaining} more error(s))"[:width])
            break
        lines.extend(wrapped)
    return lines

"""What the network does with one message: the outcome, drawn from the rates or forced by a header.

A primary outcome - ``accept``, ``reject`` (with a reason code), ``timeout`` (the network takes the
message and never answers) or ``return`` (accepted, settled, then sent back with a reason such as R01)
- plus modifiers: ``duplicate_ack`` (every answer is delivered twice), ``out_of_order`` (the answers
come in reverse order and late, after answers to later messages) and ``stall`` (the HTTP response
to the submission is held for ``stall_seconds``; the network has the message all the same).

``X-Sandbox-Outcome: reject:AC04,duplicate_ack`` forces an outcome for one request. Without it the
outcome is drawn from the configured rates with a RNG seeded by the seed, the rail and the message's
own id, so the same message gets the same outcome on every run and in any arrival order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .config import FaultRates

ACCEPT = "accept"
REJECT = "reject"
TIMEOUT = "timeout"
RETURN = "return"
NOC = "noc"  # ACH: accept, then a notification of change (COR entry, addenda 98) with the change code
PRIMARY = (ACCEPT, REJECT, TIMEOUT, RETURN, NOC)
MODIFIERS = ("duplicate_ack", "out_of_order", "stall")
HEADER = "X-Sandbox-Outcome"


class OutcomeError(ValueError):
    """The X-Sandbox-Outcome header cannot be understood."""


@dataclass(frozen=True)
class Outcome:
    kind: str = ACCEPT
    reason: str | None = None
    duplicate_ack: bool = False
    out_of_order: bool = False
    stall: bool = False
    forced: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "duplicate_ack": self.duplicate_ack,
            "out_of_order": self.out_of_order,
            "stall": self.stall,
            "forced": self.forced,
        }

    @classmethod
    def from_json(cls, data: dict) -> Outcome:
        return cls(
            kind=data["kind"],
            reason=data.get("reason"),
            duplicate_ack=bool(data.get("duplicate_ack")),
            out_of_order=bool(data.get("out_of_order")),
            stall=bool(data.get("stall")),
            forced=bool(data.get("forced")),
        )


def parse_outcome_header(value: str) -> Outcome:
    """Read ``reject:AC04,duplicate_ack`` into an Outcome; raise OutcomeError naming the bad token."""
    kind: str | None = None
    reason: str | None = None
    flags: set[str] = set()
    for token in (part.strip() for part in value.split(",")):
        if not token:
            continue
        name, _, argument = token.partition(":")
        name = name.strip().lower()
        if name in PRIMARY:
            if kind is not None:
                raise OutcomeError(f"more than one outcome in {value!r}: {kind} and {name}")
            if argument and name not in (REJECT, RETURN, NOC):
                raise OutcomeError(f"{name} takes no reason code, got {token!r}")
            if argument and not (argument.isascii() and argument.isalnum() and len(argument) <= 8):
                raise OutcomeError(f"reason code must be 1-8 letters or digits, got {argument!r}")
            kind, reason = name, (argument or None)
        elif name in MODIFIERS and not argument:
            flags.add(name)
        else:
            allowed = ", ".join((*PRIMARY, *MODIFIERS))
            raise OutcomeError(f"unknown outcome {token!r}; use one of {allowed} (reject/return/noc take :CODE)")
    if kind is None and not flags:
        raise OutcomeError("empty X-Sandbox-Outcome header")
    return Outcome(
        kind=kind or ACCEPT,
        reason=reason,
        duplicate_ack="duplicate_ack" in flags,
        out_of_order="out_of_order" in flags,
        stall="stall" in flags,
        forced=True,
    )


def message_rng(seed: int, rail: str, key: str) -> random.Random:
    """A RNG that depends only on the seed, the rail and the message's id (not on arrival order)."""
    return random.Random(f"{seed}:{rail}:{key}")  # noqa: S311 - simulation, not security


def draw_outcome(rates: FaultRates, rng: random.Random, *, supports_return: bool) -> Outcome:
    """Draw the primary outcome and the modifiers from the configured rates."""
    roll = rng.random()
    kind = ACCEPT
    for name, rate in ((REJECT, rates.reject), (TIMEOUT, rates.timeout), (RETURN, rates.return_)):
        if name == RETURN and not supports_return:
            continue
        if roll < rate:
            kind = name
            break
        roll -= rate
    return Outcome(
        kind=kind,
        duplicate_ack=rng.random() < rates.duplicate_ack,
        out_of_order=rng.random() < rates.out_of_order,
        stall=rng.random() < rates.stall,
    )

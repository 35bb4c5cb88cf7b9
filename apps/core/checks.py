"""One check registry for every kind of money movement; the compliance and fraud apps plug their checks in.

    from apps.core import checks

    def sanctions(subject) -> checks.CheckResult:
        ...
        return checks.CheckResult.hold("name close to a listed person", code="sanctions_hit")

    checks.register("payment", "compliance.sanctions", sanctions)   # in the app's AppConfig.ready()

Kinds (each domain runs its own and documents its subject):

- ``payment``: an outbound payment order (``apps.payments``), all fields set, run inside the order's transaction;
  the check must not write. Hold sends the payment to HELD, reject to REJECTED.
- ``posting``: a deposit, withdrawal or transfer, or each entry of a batch (``apps.ledger.checks.PostingSubject``),
  run *before* the posting's transaction opens, so a check never holds row locks while it works; it may write its
  own app's records (an alert) in its own transaction. Hold or reject refuses the posting with the check's code.
- ``card_authorisation`` and ``inbound_payment``: for the card authorisation host and inbound payments.
- ``account_opening``: a customer account about to open (``apps.accounts.services.OpeningSubject``), before its
  transaction; hold or reject refuses the opening with the check's code (KYC: ``kyc_not_verified``).

A check may also register a ``many`` form that answers a list of subjects at once (a batch of postings asks one
question of the database instead of one per entry); ``run_many`` uses it where there is one and answers exactly what
``run`` would answer for each subject. With no check registered every subject passes. The strictest answer wins
(reject over hold over pass); every answer is kept in the outcome, in registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

KINDS = ("payment", "posting", "card_authorisation", "inbound_payment", "account_opening")


class Verdict(IntEnum):  # ordered: the strictest is the largest
    PASS = 0
    HOLD = 1
    REJECT = 2


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    reason: str = ""
    code: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False)  # evidence: scores, features, list ids

    @classmethod
    def passed(cls, **details: Any) -> CheckResult:
        return cls(Verdict.PASS, details=details)

    @classmethod
    def hold(cls, reason: str, code: str = "review", **details: Any) -> CheckResult:
        return cls(Verdict.HOLD, reason, code, details)

    @classmethod
    def reject(cls, reason: str, code: str = "rejected_by_check", **details: Any) -> CheckResult:
        return cls(Verdict.REJECT, reason, code, details)


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    results: tuple[tuple[str, CheckResult], ...]

    @property
    def deciding(self) -> tuple[str, CheckResult] | None:
        """The (name, result) of the first check that gave the strictest answer, unless everything passed."""
        for name, result in self.results:
            if result.verdict == self.verdict and result.verdict != Verdict.PASS:
                return name, result
        return None


Check = Callable[[Any], CheckResult]
ManyCheck = Callable[[Sequence[Any]], list[CheckResult]]  # one result per subject, in order
_registry: dict[str, dict[str, Check]] = {kind: {} for kind in KINDS}
_many: dict[str, dict[str, ManyCheck]] = {kind: {} for kind in KINDS}


def _checks_of(kind: str) -> dict[str, Check]:
    try:
        return _registry[kind]
    except KeyError:
        raise ValueError(f"unknown check kind {kind!r}; one of {', '.join(KINDS)}") from None


def register(kind: str, name: str, check: Check, *, many: ManyCheck | None = None) -> None:
    """Add (or replace) the check called ``name`` for subjects of ``kind``; ``many`` is its form for a list."""
    _checks_of(kind)[name] = check
    if many is None:
        _many[kind].pop(name, None)
    else:
        _many[kind][name] = many


def unregister(kind: str, name: str) -> None:
    _checks_of(kind).pop(name, None)
    _many[kind].pop(name, None)


def registered(kind: str) -> tuple[str, ...]:
    return tuple(_checks_of(kind))


def run(kind: str, subject: Any) -> Outcome:
    """Run every check registered for ``kind`` in registration order; the strictest verdict and every answer."""
    results = tuple((name, check(subject)) for name, check in list(_checks_of(kind).items()))
    return _outcome(results)


def run_many(kind: str, subjects: Sequence[Any]) -> list[Outcome]:
    """``run`` for each of ``subjects``, each check asked once for the whole list where it has a ``many`` form."""
    answers: list[list[tuple[str, CheckResult]]] = [[] for _ in subjects]
    for name, check in list(_checks_of(kind).items()):
        many = _many[kind].get(name)
        results = many(subjects) if many is not None else [check(subject) for subject in subjects]
        if len(results) != len(subjects):
            raise RuntimeError(f"check {name!r} answered {len(results)} results for {len(subjects)} subjects")
        for answer, result in zip(answers, results, strict=True):
            answer.append((name, result))
    return [_outcome(tuple(answer)) for answer in answers]


def _outcome(results: tuple[tuple[str, CheckResult], ...]) -> Outcome:
    verdict = max((result.verdict for _, result in results), default=Verdict.PASS)
    return Outcome(verdict, results)

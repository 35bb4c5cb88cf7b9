"""The check registry: compliance and fraud apps plug their checks in here; payments never import them.

    from apps.payments import checks

    def sanctions(payment) -> checks.CheckResult:
        ...
        return checks.CheckResult.hold("name close to a listed person")

    checks.register("compliance.sanctions", sanctions)     # in the app's AppConfig.ready()

A check takes the payment order (unsaved fields all set, nothing written yet) and answers pass, hold
(an officer must release or reject the payment) or reject. It must not write. With no check registered,
every payment passes. The strictest answer wins: reject over hold over pass; all answers are stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum


class Verdict(IntEnum):  # ordered: the strictest is the largest
    PASS = 0
    HOLD = 1
    REJECT = 2


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    reason: str = ""
    code: str = ""

    @classmethod
    def passed(cls) -> CheckResult:
        return cls(Verdict.PASS)

    @classmethod
    def hold(cls, reason: str, code: str = "review") -> CheckResult:
        return cls(Verdict.HOLD, reason, code)

    @classmethod
    def reject(cls, reason: str, code: str = "rejected_by_check") -> CheckResult:
        return cls(Verdict.REJECT, reason, code)


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


Check = Callable[[object], CheckResult]
_registry: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add (or replace) the check called ``name``."""
    _registry[name] = check


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered() -> tuple[str, ...]:
    return tuple(_registry)


def run(payment: object) -> Outcome:
    """Run every registered check in registration order; return the strictest verdict and every answer."""
    results = tuple((name, check(payment)) for name, check in list(_registry.items()))
    verdict = max((result.verdict for _, result in results), default=Verdict.PASS)
    return Outcome(verdict, results)

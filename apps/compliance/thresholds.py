"""Screening thresholds per list and per program, from ``QENEX_SCREENING_THRESHOLDS``.

Format: comma-separated ``KEY=SCORE`` with KEY ``*`` (every list), a list code (``ofac_sdn``, ``un``) or
``list/PROGRAM`` (``ofac_sdn/SDGT``, ``un/DPRK``). An entry's threshold is the lowest of its programs' thresholds
when any is set, else its list's, else ``*``. A hit with a score at or above it is a potential match.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

DEFAULT_THRESHOLD = 0.86


@dataclass(frozen=True)
class Thresholds:
    default: float
    per_list: dict[str, float]
    per_program: dict[tuple[str, str], float]

    @classmethod
    def parse(cls, text: str) -> Thresholds:
        default, per_list, per_program = DEFAULT_THRESHOLD, {}, {}
        for item in (part.strip() for part in (text or "").split(",")):
            if not item:
                continue
            key, sep, value = item.partition("=")
            try:
                score = float(value)
            except ValueError:
                score = -1.0
            if not sep or not 0.0 < score <= 1.0:
                raise ImproperlyConfigured(
                    f"QENEX_SCREENING_THRESHOLDS: {item!r} is not KEY=SCORE with a score in (0, 1]"
                )
            key = key.strip()
            if key == "*":
                default = score
            elif "/" in key:
                list_code, program = key.split("/", 1)
                per_program[(list_code, program)] = score
            else:
                per_list[key] = score
        return cls(default, per_list, per_program)

    def for_entry(self, list_code: str, programs) -> float:
        by_program = [self.per_program[(list_code, p)] for p in programs if (list_code, p) in self.per_program]
        if by_program:
            return min(by_program)
        return self.per_list.get(list_code, self.default)

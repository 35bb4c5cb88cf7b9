"""Same-day ACH: when does a batch settle?

What we model (Nacha Same Day ACH, Fed ACH schedule in US Eastern time):

* Three same-day windows. A file submitted by 10:30 ET settles at 13:00, by 14:45 at 17:00,
  by 16:45 at 18:00, all on the submission day.
* An originator asks for same-day settlement by giving the submission date (or a stale past date)
  as the effective entry date. A future effective date settles on that date (or the next banking
  day), never earlier.
* Same-day eligible entries: not IAT, and at most $1,000,000.00 per entry. An ineligible batch, or a
  same-day request submitted after 16:45 ET, settles on the next banking day.
* Banking days are Monday-Friday minus the holidays the caller passes in (we ship no calendar).

Not modelled: the ODFI's own earlier cut-offs and the ACH operator's settlement-date insertion for
returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import MessageValidationError
from .records import Batch, IATBatchHeader

EASTERN = ZoneInfo("America/New_York")
SAME_DAY_ENTRY_LIMIT_CENTS = 100_000_000  # $1,000,000.00

#: (submission deadline, settlement time), US Eastern.
SAME_DAY_WINDOWS: tuple[tuple[time, time], ...] = (
    (time(10, 30), time(13, 0)),
    (time(14, 45), time(17, 0)),
    (time(16, 45), time(18, 0)),
)


@dataclass(frozen=True)
class SettlementPlan:
    settlement_date: date
    same_day: bool
    window: int | None  # 1, 2 or 3 for same-day settlement

    @property
    def julian_settlement_date(self) -> str:
        """The 3-digit day of year the ACH operator writes in batch header positions 76-78."""
        return f"{self.settlement_date.timetuple().tm_yday:03d}"


def is_banking_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def next_banking_day(day: date, holidays: frozenset[date] = frozenset()) -> date:
    """Return the first banking day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_banking_day(day, holidays):
        day += timedelta(days=1)
    return day


def same_day_ineligibility(batch: Batch) -> str | None:
    """Return why ``batch`` cannot settle same day, or None if it can."""
    if isinstance(batch.header, IATBatchHeader):
        return "IAT entries are not eligible for same-day ACH"
    for entry in batch.entries:
        if entry.amount > SAME_DAY_ENTRY_LIMIT_CENTS:
            return f"entry {entry.trace_number} exceeds the $1,000,000 same-day limit"
    return None


def plan_settlement(batch: Batch, submitted_at: datetime, *, holidays: frozenset[date] = frozenset()) -> SettlementPlan:
    """Return when ``batch`` settles if the file is submitted to the operator at ``submitted_at``."""
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        raise MessageValidationError.single("ACH schedule", "submitted_at", "must be timezone-aware")
    local = submitted_at.astimezone(EASTERN)
    day, clock = local.date(), local.time()
    if not is_banking_day(day, holidays):
        day, clock = next_banking_day(day, holidays), time(0, 0)
    effective = batch.header.effective_entry_date
    if effective > day:
        settle = effective if is_banking_day(effective, holidays) else next_banking_day(effective, holidays)
        return SettlementPlan(settle, same_day=False, window=None)
    if same_day_ineligibility(batch) is None:
        for number, (deadline, _) in enumerate(SAME_DAY_WINDOWS, start=1):
            if clock <= deadline:
                return SettlementPlan(day, same_day=True, window=number)
    return SettlementPlan(next_banking_day(day, holidays), same_day=False, window=None)

"""Pair statement lines with what QENEX recorded, rule by rule. Pure (no database): easy to test and to reason about.

The bank's side is a list of :class:`LineItem` (one per booked statement line, amounts signed as the bank
sees our account: credits positive). Our side is a list of :class:`LedgerItem` (a nostro posting, with the
payment it settled when there is one), its amount already turned into the bank's sign. Each rule, in
priority order, pairs every still-unpaired line with the first still-unpaired item it accepts:

* ``uetr``          - the line's UETR is the payment's UETR;
* ``end_to_end_id`` - the line's end-to-end id is the payment's reference (what QENEX sends as EndToEndId);
* ``reference``     - any reference on the line (customer reference, :86: EREF, account servicer reference)
  names the payment's reference, UETR or id;
* ``amount_date``   - same signed amount and value dates at most ``date_tolerance_days`` apart.

A pair made on a reference whose amounts differ is still a pair (the payment is known) but also an
``amount_difference`` break. What stays unpaired on either side is a break.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Rule:
    name: str
    match_on: str
    date_tolerance_days: int = 0


@dataclass(frozen=True)
class LineItem:
    key: int
    amount_minor: int
    value_date: date | None
    uetr: str = ""
    end_to_end_id: str = ""
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class LedgerItem:
    key: str  # journal entry public id (or payment id when the payment has no posting in the window)
    amount_minor: int  # in the bank's sign
    value_date: date | None
    entry_id: str = ""
    payment_id: str = ""
    uetr: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Pair:
    line: LineItem
    item: LedgerItem
    rule: str

    @property
    def difference_minor(self) -> int:
        return self.line.amount_minor - self.item.amount_minor


@dataclass
class Outcome:
    pairs: list[Pair] = field(default_factory=list)
    unmatched_lines: list[LineItem] = field(default_factory=list)
    unmatched_items: list[LedgerItem] = field(default_factory=list)


def _accepts(rule: Rule, line: LineItem, item: LedgerItem) -> bool:
    if rule.match_on == "uetr":
        return bool(line.uetr) and line.uetr.lower() == item.uetr.lower()
    if rule.match_on == "end_to_end_id":
        return bool(line.end_to_end_id) and line.end_to_end_id == item.reference
    if rule.match_on == "reference":
        names = {value for value in (item.reference, item.uetr.lower(), item.payment_id) if value}
        return any(reference in names or reference.lower() in names for reference in line.references)
    if rule.match_on == "amount_date":
        if line.amount_minor != item.amount_minor:
            return False
        if line.value_date is None or item.value_date is None:
            return line.value_date is None and item.value_date is None
        return abs((line.value_date - item.value_date).days) <= rule.date_tolerance_days
    return False


def _keys(rule: Rule, item: LedgerItem) -> tuple[object, ...]:
    """What an item is looked up by under ``rule`` (so a rule costs one dictionary probe per line)."""
    if rule.match_on == "uetr":
        return (item.uetr.lower(),) if item.uetr else ()
    if rule.match_on == "end_to_end_id":
        return (item.reference,) if item.reference else ()
    if rule.match_on == "reference":
        return tuple(value for value in (item.reference, item.uetr.lower(), item.payment_id) if value)
    if rule.match_on == "amount_date":
        return (item.amount_minor,)
    return ()


def _probes(rule: Rule, line: LineItem) -> tuple[object, ...]:
    if rule.match_on == "uetr":
        return (line.uetr.lower(),) if line.uetr else ()
    if rule.match_on == "end_to_end_id":
        return (line.end_to_end_id,) if line.end_to_end_id else ()
    if rule.match_on == "reference":
        return tuple(dict.fromkeys(value for ref in line.references for value in (ref, ref.lower())))
    if rule.match_on == "amount_date":
        return (line.amount_minor,)
    return ()


def match(lines: Iterable[LineItem], items: Iterable[LedgerItem], rules: Iterable[Rule]) -> Outcome:
    """Pair ``lines`` with ``items`` rule by rule; every line and item ends up in exactly one place.

    Within a rule, a line takes the first still-open item (in the order given) that the rule accepts.
    """
    open_lines = list(lines)
    all_items = list(items)
    taken: set[int] = set()  # positions in all_items already paired
    outcome = Outcome()
    for rule in rules:
        index: dict[object, list[int]] = {}
        for position, item in enumerate(all_items):
            if position not in taken:
                for key in _keys(rule, item):
                    index.setdefault(key, []).append(position)
        still_open: list[LineItem] = []
        for line in open_lines:
            candidates = sorted({p for key in _probes(rule, line) for p in index.get(key, ())})
            found = next(
                (p for p in candidates if p not in taken and _accepts(rule, line, all_items[p])),
                None,
            )
            if found is None:
                still_open.append(line)
                continue
            taken.add(found)
            outcome.pairs.append(Pair(line, all_items[found], rule.name))
        open_lines = still_open
    outcome.unmatched_lines = open_lines
    outcome.unmatched_items = [item for position, item in enumerate(all_items) if position not in taken]
    return outcome

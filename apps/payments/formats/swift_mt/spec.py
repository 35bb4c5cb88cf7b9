"""Field order and presence rules per message type, and the reader that applies them.

A message type is described as an ordered list of :class:`Slot` (one per field position in the
SWIFT standard's field table). :func:`match_fields` walks the fields of block 4 against that list,
so "mandatory field missing", "field not allowed", "field out of order" and "option not allowed"
are found the same way for every message type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .fields import Problems, RawField

T = TypeVar("T")


@dataclass(frozen=True)
class Slot:
    """One field position: ``base`` is the two-digit tag, ``options`` the allowed letters (``""`` = none).

    ``loop_to`` names an earlier slot the reader may jump back to: the :61:/:86: pairs of an MT940.
    """

    name: str
    base: str
    options: tuple[str, ...]
    mandatory: bool
    repeatable: bool = False
    loop_to: str | None = None

    @property
    def label(self) -> str:
        if len(self.options) == 1:
            return f":{self.base}{self.options[0]}:"
        return f":{self.base}a:"


def slot(name: str, tag: str, mandatory: bool = False, *, repeatable: bool = False, loop_to: str | None = None) -> Slot:
    """Build a slot from SWIFT notation: ``"32A"``, ``"50AFK"`` (options A, F, K), ``"59 AF"`` (none, A, F)."""
    base, letters = tag[:2], tag[2:]
    options = tuple("" if letter == " " else letter for letter in letters) or ("",)
    return Slot(name, base, options, mandatory, repeatable, loop_to)


@dataclass(frozen=True)
class Matched:
    slot: Slot
    option: str
    field: RawField


def match_fields(fields: list[RawField], slots: list[Slot], message_type: str, problems: Problems) -> list[Matched]:
    """Assign each block 4 field to its slot in order, reporting order, presence and option problems."""
    index_of = {s.name: i for i, s in enumerate(slots)}
    bases = [s.base for s in slots]
    # 23B and 23E share the base 23: where slots share a base, the option letter decides.
    shared = {base for base in bases if bases.count(base) > 1}
    matched: list[Matched] = []
    position = 0
    last: int | None = None
    for raw in fields:
        base, option = raw.tag[:2], raw.tag[2:]

        def accepts(candidate: Slot, base: str = base, option: str = option) -> bool:
            return candidate.base == base and (option in candidate.options or base not in shared)

        target: int | None = None
        if last is not None and slots[last].repeatable and accepts(slots[last]):
            target = last
        elif last is not None and slots[last].loop_to and accepts(slots[index_of[slots[last].loop_to]]):
            target = index_of[slots[last].loop_to]
        else:
            target = next((i for i in range(position, len(slots)) if accepts(slots[i])), None)
        if target is None:
            if any(s.base == base for s in slots):
                problems.add(raw.label, f"field is repeated or out of order for {message_type}", raw.line)
            else:
                problems.add(raw.label, f"field is not allowed in {message_type}", raw.line)
            continue
        if target >= position:
            for skipped in slots[position:target]:
                if skipped.mandatory:
                    problems.add(skipped.label, f"mandatory field is missing before {raw.label}", raw.line)
        current = slots[target]
        if option not in current.options:
            allowed = ", ".join(o or "no letter" for o in current.options)
            problems.add(
                raw.label, f"option {option or 'without letter'} is not allowed here (allowed: {allowed})", raw.line
            )
        matched.append(Matched(current, option, raw))
        position = target + 1
        last = target
    end_line = fields[-1].line + fields[-1].value.count("\n") + 1 if fields else None
    for remaining in slots[position:]:
        if remaining.mandatory:
            problems.add(remaining.label, "mandatory field is missing", end_line)
    return matched


class FieldReader:
    """Gives the message decoders typed access to matched fields, parsing each with a field parser."""

    def __init__(self, matched: list[Matched], problems: Problems) -> None:
        self.problems = problems
        self.matched = matched
        self._by_name: dict[str, list[Matched]] = {}
        for item in matched:
            self._by_name.setdefault(item.slot.name, []).append(item)

    def present(self, name: str) -> bool:
        return name in self._by_name

    def line(self, name: str) -> int | None:
        items = self._by_name.get(name)
        return items[0].field.line if items else None

    def one(self, name: str, parse: Callable[[str, str, str, int | None, Problems], T | None]) -> T | None:
        """Parse the first field in slot ``name`` with ``parse(option, text, label, line, problems)``."""
        items = self._by_name.get(name)
        if not items:
            return None
        item = items[0]
        return parse(item.option, item.field.value, item.field.label, item.field.line, self.problems)

    def each(self, name: str, parse: Callable[[str, str, str, int | None, Problems], T | None]) -> tuple[T, ...]:
        values = []
        for item in self._by_name.get(name, []):
            value = parse(item.option, item.field.value, item.field.label, item.field.line, self.problems)
            if value is not None:
                values.append(value)
        return tuple(values)

    def items(self, name: str) -> list[Matched]:
        return list(self._by_name.get(name, []))


def ignore_option(parse: Callable[..., Any]) -> Callable[[str, str, str, int | None, Problems], Any]:
    """Adapt a parser that takes ``(text, label, line, problems)`` to the reader's option-first signature."""

    def adapted(option: str, text: str, label: str, line: int | None, problems: Problems) -> Any:
        return parse(text, label, line, problems)

    return adapted

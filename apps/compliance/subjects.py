"""Who can be a screening subject: apps register what they offer (the customers app registers ``customer``).

Compliance records alerts about a subject and the officers' decisions on them; what a subject *is* belongs to its
own app. A handler tells compliance, without compliance importing that app:

- ``parties()``: every subject of the kind with the parties to screen (for a rescreen after a list changes);
- ``count()``: how many there are (the rescreen's progress);
- ``alerts_changed(subject_id)``: an alert was raised or decided (the app updates its own state, e.g. the
  customer's sanctions status);
- ``accounts(subject_id)``: the accounts a confirmed match freezes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .party_screening import Party


@dataclass(frozen=True)
class ScreeningSubject:
    subject_id: str
    parties: list[Party]
    owner_id: str = ""
    account: str = ""


@dataclass(frozen=True)
class SubjectHandler:
    parties: Callable[[], Iterator[ScreeningSubject]]
    count: Callable[[], int]
    alerts_changed: Callable[[str], None]
    accounts: Callable[[str], list[str]]


_handlers: dict[str, SubjectHandler] = {}


def register(subject_type: str, handler: SubjectHandler) -> None:
    _handlers[subject_type] = handler


def handler_of(subject_type: str) -> SubjectHandler | None:
    return _handlers.get(subject_type)


def registered() -> dict[str, SubjectHandler]:
    return dict(_handlers)

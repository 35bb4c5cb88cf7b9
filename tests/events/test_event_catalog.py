"""Every event type the product emits has a JSON Schema: the emitting calls are found in the source, not listed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from apps.events.catalog import EVENT_TYPES, schema_path

APPS = Path(__file__).resolve().parents[2] / "apps"
EVENTS_APP = APPS / "events"
EMITTERS = {"emit_event", "emit_events"}
# The outbox row the trigger on ledger_journalentry writes (apps/events/migrations): INSERT … 'type', version, …
TRIGGER_EVENT = re.compile(r"'([a-z_]+\.[a-z_]+)', (\d+), '[a-z_]+'")


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _version(call: ast.Call) -> int:
    for keyword in call.keywords:
        if keyword.arg == "version" and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return 1


def emitted_types() -> tuple[set[tuple[str, int]], list[str]]:
    """((type, version) emitted anywhere in apps/, [calls whose type this scan cannot read])."""
    found: set[tuple[str, int]] = set()
    unreadable: list[str] = []
    for path in sorted(APPS.rglob("*.py")):
        if "migrations" in path.parts:
            found |= {(t, int(v)) for t, v in TRIGGER_EVENT.findall(path.read_text())}
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or _name(node) not in EMITTERS or not node.args:
                continue
            first = node.args[0]
            if _name(node) == "emit_event":
                literals = [first] if isinstance(first, ast.Constant) else []
            else:  # emit_events(((type, aggregate, payload), ...)): the first element of each tuple
                literals = [t.elts[0] for t in ast.walk(first) if isinstance(t, ast.Tuple) and t.elts]
                literals = [e for e in literals if isinstance(e, ast.Constant)]
            if not literals and path.parent != EVENTS_APP:  # the events app's own helpers pass a variable on
                unreadable.append(f"{path.relative_to(APPS.parent)}:{node.lineno}")
            found |= {(e.value, _version(node)) for e in literals}
    return found, unreadable


def test_every_emitted_event_type_is_catalogued_and_has_a_schema_file():
    found, unreadable = emitted_types()
    assert not unreadable, f"emit with a literal event type, so this test can see it: {unreadable}"
    types = {t for t, _ in found}
    assert {"transaction.posted", "screening.alert_raised", "screening.alert_decided", "aml_case.decided"} <= types
    assert types - set(EVENT_TYPES) == set(), "emitted but not in apps/events/catalog.py"
    missing = sorted(f"{t}.v{v}" for t, v in found if not schema_path(t, v).exists())
    assert not missing, f"emitted without a JSON Schema in apps/events/schemas/: {missing}"


def test_every_catalogued_event_type_is_emitted_somewhere():
    found, _ = emitted_types()
    assert set(EVENT_TYPES) - {t for t, _ in found} == set(), "catalogued but never emitted"

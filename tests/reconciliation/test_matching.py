"""The matching engine on its own: rule order, first open item wins, every item in one place, and scale."""

from __future__ import annotations

import time
from datetime import date, timedelta

from apps.reconciliation.matching import LedgerItem, LineItem, Rule, match

DAY = date(2026, 12, 1)
RULES = [Rule("uetr", "uetr"), Rule("e2e", "end_to_end_id"), Rule("ref", "reference"), Rule("amt", "amount_date", 1)]


def test_rules_apply_in_order_and_each_item_pairs_once():
    lines = [
        LineItem(1, -100, DAY, end_to_end_id="E1"),
        LineItem(2, -100, DAY),  # only amount+date can pair it
        LineItem(3, -700, DAY, references=("pay_x",)),
        LineItem(4, -5, DAY + timedelta(days=3)),  # amount exists but three days off: a break
    ]
    items = [
        LedgerItem("e1", -100, DAY, reference="E1"),
        LedgerItem("e2", -100, DAY + timedelta(days=1)),
        LedgerItem("e3", -700, DAY, payment_id="pay_x"),
        LedgerItem("e4", -5, DAY),
        LedgerItem("e5", -42, DAY),
    ]
    outcome = match(lines, items, RULES)
    assert [(p.line.key, p.item.key, p.rule) for p in outcome.pairs] == [
        (1, "e1", "e2e"),
        (3, "e3", "ref"),
        (2, "e2", "amt"),
    ]
    assert [line.key for line in outcome.unmatched_lines] == [4]
    assert [item.key for item in outcome.unmatched_items] == ["e4", "e5"]


def test_twenty_thousand_lines_match_in_well_under_a_second():
    count = 20_000
    lines = [LineItem(n, -(100 + n), DAY, end_to_end_id=f"E{n}") for n in range(count)]
    items = [LedgerItem(f"e{n}", -(100 + n), DAY, reference=f"E{n}") for n in reversed(range(count))]
    started = time.perf_counter()
    outcome = match(lines, items, RULES)
    assert len(outcome.pairs) == count and not outcome.unmatched_items
    assert time.perf_counter() - started < 2.0

"""MT300 confirmations: build, parse back, refuse what breaks the rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.mt300 import MT300, build_mt300, parse_mt300

DEAL = MT300(
    sender_bic="QNXBUS33XXX", receiver_bic="LPBKGB2LXXX", reference="FXDABC123", party_a="QNXBUS33",
    party_b="LPBKGB2L", trade_date=date(2026, 12, 2), value_date=date(2026, 12, 4), rate=Decimal("1.08482"),
    bought_currency="EUR", bought_minor=100000, bought_agent="QNXBDEFF", sold_currency="USD", sold_minor=108482,
    sold_agent="LPBKUS33",
)  # fmt: skip


def test_build_and_parse_round_trip():
    text = build_mt300(DEAL)
    assert "{2:I300" in text and ":32B:EUR1000,00\r\n" in text and ":33B:USD1084,82\r\n" in text
    assert ":36:1,08482\r\n" in text and ":22C:LPBK2L8482QNXB33\r\n" in text
    assert parse_mt300(text) == DEAL


def test_parse_refuses_a_changed_amount_format_and_a_missing_field():
    text = build_mt300(DEAL)
    with pytest.raises(MessageValidationError) as bad_amount:
        parse_mt300(text.replace(":32B:EUR1000,00", ":32B:EUR1000,001"))
    assert any(e.field == ":32B:" for e in bad_amount.value.errors)
    with pytest.raises(MessageValidationError) as missing:
        parse_mt300(text.replace(":30V:20261204\r\n", ""))
    assert any(e.field == ":30V:" for e in missing.value.errors)


def test_build_refuses_bad_input():
    with pytest.raises(MessageValidationError):
        build_mt300(MT300(**{**DEAL.__dict__, "reference": "/bad", "rate": Decimal("0")}))

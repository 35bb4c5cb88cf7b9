"""The outcome header, the seeded draw and the settings' precedence (no process needed)."""

from __future__ import annotations

import json

import pytest

from apps.payments.sandbox.config import ConfigError, FaultRates, load_config
from apps.payments.sandbox.outcomes import OutcomeError, draw_outcome, message_rng, parse_outcome_header


def test_header_reads_an_outcome_and_its_modifiers() -> None:
    outcome = parse_outcome_header("reject:AC04, duplicate_ack,out_of_order")
    assert (outcome.kind, outcome.reason, outcome.duplicate_ack, outcome.out_of_order, outcome.forced) == (
        "reject",
        "AC04",
        True,
        True,
        True,
    )
    assert parse_outcome_header("stall").kind == "accept"
    assert parse_outcome_header("return:R01").reason == "R01"


@pytest.mark.parametrize("value", ["", "explode", "accept,timeout", "timeout:AC04", "reject:<x>", "stall:1"])
def test_header_refuses_what_it_cannot_read(value: str) -> None:
    with pytest.raises(OutcomeError):
        parse_outcome_header(value)


def test_draw_depends_on_seed_rail_and_message_id_only() -> None:
    rates = FaultRates(reject=0.3, timeout=0.2, duplicate_ack=0.5, out_of_order=0.5)
    first = [draw_outcome(rates, message_rng(7, "sepa", f"id{i}"), supports_return=False) for i in range(200)]
    again = [draw_outcome(rates, message_rng(7, "sepa", f"id{i}"), supports_return=False) for i in range(200)]
    other = [draw_outcome(rates, message_rng(8, "sepa", f"id{i}"), supports_return=False) for i in range(200)]
    assert first == again != other
    kinds = [o.kind for o in first]
    assert 40 <= kinds.count("reject") <= 80 and 20 <= kinds.count("timeout") <= 60
    assert "return" not in kinds


def test_settings_precedence_file_then_environment_then_flags(tmp_path) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps({"delay_seconds": 1, "seed": 3, "rates": {"reject": 0.1, "timeout": 0.2}}))
    config = load_config(
        rails=("sepa",),
        config_file=path,
        environ={"QENEX_SANDBOX_SEED": "4", "QENEX_SANDBOX_REJECT_RATE": "0.3"},
        flags={"reject_rate": 0.4},
    )
    assert (config.delay_seconds, config.seed, config.rates.reject, config.rates.timeout) == (1.0, 4, 0.4, 0.2)


@pytest.mark.parametrize(
    ("data", "environ", "message"),
    [
        ({"delay": 1}, {}, "unknown key"),
        ({"rates": {"explode": 0.1}}, {}, "unknown rate"),
        ({"rates": {"reject": 1.5}}, {}, "between 0 and 1"),
        ({"rates": {"reject": 0.6, "timeout": 0.6}}, {}, "more than 1"),
        ({}, {"QENEX_SANDBOX_DELAY_SECONDS": "soon"}, "number of seconds"),
    ],
)
def test_bad_settings_are_refused_with_their_name(tmp_path, data, environ, message) -> None:
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=message):
        load_config(rails=("sepa",), config_file=path, environ=environ)

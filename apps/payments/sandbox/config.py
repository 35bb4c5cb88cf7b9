"""Sandbox settings: defaults, then a JSON file, then ``QENEX_SANDBOX_*`` environment variables, then flags.

JSON file shape (every key optional)::

    {"delay_seconds": 0.2, "stall_seconds": 30, "seed": 0,
     "rates": {"reject": 0.1, "timeout": 0.0, "duplicate_ack": 0.05, "out_of_order": 0.05,
               "return": 0.0, "stall": 0.0},
     "reject_reasons": {"sepa": "AC04"}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

RAILS = ("sepa", "sepa_inst", "swift", "fedwire", "ach")
RATE_NAMES = ("reject", "timeout", "duplicate_ack", "out_of_order", "return", "stall")
ENV_PREFIX = "QENEX_SANDBOX_"


class ConfigError(ValueError):
    """A sandbox setting is missing, unknown or out of range."""


@dataclass(frozen=True)
class FaultRates:
    """Probabilities in [0, 1]; reject + timeout + return must not exceed 1 (they exclude each other)."""

    reject: float = 0.0
    timeout: float = 0.0
    duplicate_ack: float = 0.0
    out_of_order: float = 0.0
    return_: float = 0.0
    stall: float = 0.0


@dataclass(frozen=True)
class SandboxConfig:
    rails: tuple[str, ...] = RAILS
    delay_seconds: float = 0.2
    stall_seconds: float = 30.0
    seed: int = 0
    rates: FaultRates = field(default_factory=FaultRates)
    reject_reasons: Mapping[str, str] = field(default_factory=dict)
    state_file: Path | None = None


def _rate(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"rate {name!r} must be a number between 0 and 1, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"rate {name!r} must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= number <= 1.0:
        raise ConfigError(f"rate {name!r} must be between 0 and 1, got {value!r}")
    return number


def _seconds(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}")
    if isinstance(value, bool) or not 0.0 <= number <= 3600.0:
        raise ConfigError(f"{name} must be between 0 and 3600 seconds, got {value!r}")
    return number


def _with_rates(config: SandboxConfig, rates: Mapping[str, Any]) -> SandboxConfig:
    unknown = set(rates) - set(RATE_NAMES)
    if unknown:
        raise ConfigError(f"unknown rate(s) {', '.join(sorted(unknown))}; known: {', '.join(RATE_NAMES)}")
    values = {("return_" if k == "return" else k): _rate(k, v) for k, v in rates.items() if v is not None}
    return replace(config, rates=replace(config.rates, **values))


def _apply(config: SandboxConfig, data: Mapping[str, Any], source: str) -> SandboxConfig:
    known = {"delay_seconds", "stall_seconds", "seed", "rates", "reject_reasons"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    if data.get("delay_seconds") is not None:
        config = replace(config, delay_seconds=_seconds("delay_seconds", data["delay_seconds"]))
    if data.get("stall_seconds") is not None:
        config = replace(config, stall_seconds=_seconds("stall_seconds", data["stall_seconds"]))
    if data.get("seed") is not None:
        try:
            config = replace(config, seed=int(data["seed"]))
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: seed must be an integer, got {data['seed']!r}")
    if data.get("rates") is not None:
        if not isinstance(data["rates"], Mapping):
            raise ConfigError(f"{source}: rates must be an object")
        config = _with_rates(config, data["rates"])
    if data.get("reject_reasons") is not None:
        reasons = data["reject_reasons"]
        if not isinstance(reasons, Mapping) or set(reasons) - set(RAILS):
            raise ConfigError(f"{source}: reject_reasons must map rail names ({', '.join(RAILS)}) to codes")
        config = replace(config, reject_reasons={**config.reject_reasons, **{k: str(v) for k, v in reasons.items()}})
    return config


def load_config(
    *,
    rails: tuple[str, ...],
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    state_file: Path | None = None,
) -> SandboxConfig:
    """Return the settings: defaults < JSON file < environment < command-line flags."""
    config = SandboxConfig(rails=rails, state_file=state_file)
    if config_file is not None:
        try:
            data = json.loads(Path(config_file).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{config_file}: cannot read the sandbox configuration: {exc}")
        if not isinstance(data, Mapping):
            raise ConfigError(f"{config_file}: must hold a JSON object")
        config = _apply(config, data, str(config_file))
    environ = os.environ if environ is None else environ
    from_env: dict[str, Any] = {}
    rates_env: dict[str, Any] = {}
    for key in ("delay_seconds", "stall_seconds", "seed"):
        if f"{ENV_PREFIX}{key.upper()}" in environ:
            from_env[key] = environ[f"{ENV_PREFIX}{key.upper()}"]
    for name in RATE_NAMES:
        variable = f"{ENV_PREFIX}{name.upper()}_RATE"
        if variable in environ:
            rates_env[name] = environ[variable]
    if rates_env:
        from_env["rates"] = rates_env
    config = _apply(config, from_env, "environment")
    flags = flags or {}
    flag_rates = {name: flags.get(f"{name}_rate") for name in RATE_NAMES if flags.get(f"{name}_rate") is not None}
    config = _apply(
        config,
        {
            "delay_seconds": flags.get("delay_seconds"),
            "stall_seconds": flags.get("stall_seconds"),
            "seed": flags.get("seed"),
            "rates": flag_rates or None,
        },
        "command line",
    )
    exclusive = config.rates.reject + config.rates.timeout + config.rates.return_
    if exclusive > 1.0:
        raise ConfigError(f"reject + timeout + return rates add up to {exclusive}, more than 1")
    return config

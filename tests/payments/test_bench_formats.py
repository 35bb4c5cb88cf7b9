"""Smoke test of bench/bench_formats.py: it runs and prints its table (benchmarks themselves are not tests)."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_formats.py"


def test_bench_formats_quick_run_prints_the_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("bench_formats", BENCH)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_formats", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    started = time.perf_counter()
    module.main(["--quick", "--iterations", "20", "--repeat", "1"])
    assert time.perf_counter() - started < 5
    output = capsys.readouterr().out
    assert "parse+validate/s" in output and "baseline lxml" in output
    for name in ("pacs.008", "MT103", "ACH 100 entries", "Fedwire CTR", "ISO 8583 0100"):
        assert any(line.startswith(name) for line in output.splitlines()), name

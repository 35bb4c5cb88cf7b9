"""A small trained fraud model (once per session) and fixtures that register and promote it."""

from __future__ import annotations

from datetime import date

import pytest

from apps.fraud import runtime, synthetic
from apps.fraud.dataset import read_rows
from apps.fraud.evaluation import Window, train_on

SMALL = {"customers": 150, "days": 45, "seed": 11, "fraud_scale": 3.0}


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("fraud") / "small.csv"
    synthetic.write_csv(path, synthetic.generate(**SMALL))
    return str(path)


@pytest.fixture(scope="session")
def small_model(small_csv):
    rows = read_rows(small_csv)
    return train_on(rows, Window.of_days(date(2026, 1, 1), date(2026, 2, 14)), label_delay_days=7)


@pytest.fixture(autouse=True)
def fresh_runtime():
    """No model state leaks between tests (a promotion rolled back with its test leaves no model loaded)."""
    runtime.clear()
    yield
    runtime.clear()


@pytest.fixture
def promoted(db, settings, tmp_path, small_model):
    """The small model registered under a temporary model directory and in production."""
    from apps.fraud.services import model_version_promote, model_version_save

    settings.QENEX_FRAUD_MODEL_DIR = str(tmp_path / "models")
    settings.QENEX_FRAUD_MODEL_REFRESH_SECONDS = 0.0
    row = model_version_save(model=small_model, metrics={"test": True}, actor="test")
    model_version_promote(version=row.version, actor="test")
    runtime.clear()
    return row


@pytest.fixture
def always(settings):
    """Set the thresholds so that every score blocks (``always("block")``) or only goes to review."""

    def set_to(decision: str) -> None:
        if decision == "block":
            settings.QENEX_FRAUD_REVIEW_THRESHOLD, settings.QENEX_FRAUD_BLOCK_THRESHOLD = 0.0, 0.0
        else:
            settings.QENEX_FRAUD_REVIEW_THRESHOLD, settings.QENEX_FRAUD_BLOCK_THRESHOLD = 0.0, 1.01

    return set_to

"""The evaluation protocol (no Django): time windows, label delay, features over the stream, train, score, report.

A transaction at time t is described by everything before t, but a fraud label only of a transaction at least
``label_delay_days`` older than t (``apps.fraud.features``); this holds for training and test rows alike. The
model is trained only on rows inside the train window and scores every row inside the test window; the test window
must start at least ``label_delay_days`` whole days after the train window ends, so every training label was known
before the first test transaction.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from .dataset import Row
from .features import DAY, FEATURE_NAMES, FeatureStream, build_vocabulary
from .model import FraudModel, binary_metrics, card_precision_at_k, train

Progress = Callable[[str], None]


class WindowError(ValueError):
    """The windows are empty, reversed, or closer together than the label delay."""


@dataclass(frozen=True)
class Window:
    start: float  # inclusive, seconds since the epoch
    end: float  # exclusive

    @classmethod
    def of_days(cls, first: date, last: date) -> Window:
        begin = datetime(first.year, first.month, first.day, tzinfo=UTC)
        stop = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        if stop <= begin:
            raise WindowError(f"window {first}..{last} is empty: the end is before the start")
        return cls(begin.timestamp(), stop.timestamp())

    def __contains__(self, ts: float) -> bool:
        return self.start <= ts < self.end

    def describe(self) -> dict[str, str]:
        return {
            "from": datetime.fromtimestamp(self.start, UTC).date().isoformat(),
            "to": (datetime.fromtimestamp(self.end, UTC) - timedelta(days=1)).date().isoformat(),
        }


def check_gap(train_window: Window, test_window: Window, *, label_delay_days: int) -> None:
    gap_days = (test_window.start - train_window.end) / DAY
    if gap_days < label_delay_days:
        raise WindowError(
            f"the test window starts {gap_days:g} day(s) after the train window ends; with a label delay of "
            f"{label_delay_days} day(s) it must start at least {label_delay_days} day(s) later, or training would "
            "use labels the bank did not have yet"
        )


def stderr_progress(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def features_for(
    rows: list[Row], *, label_delay_days: int, vocabulary: dict, wanted: Callable[[float], bool], end: float,
    progress: Progress | None = None,
) -> tuple[list[int], np.ndarray]:
    """Stream ``rows`` (time-sorted) up to ``end``; return the indexes and feature matrix of the wanted rows."""
    stream = FeatureStream(label_delay_seconds=label_delay_days * DAY, vocabulary=vocabulary)
    indexes, vectors = [], []
    step = max(len(rows) // 10, 10_000)
    for index, row in enumerate(rows):
        if row.txn.ts >= end:
            break
        vector = stream.push(row.txn, row.label)
        if wanted(row.txn.ts):
            indexes.append(index)
            vectors.append(vector)
        if progress and index and index % step == 0:
            progress(f"features: {index:,} of {len(rows):,} rows")
    matrix = np.asarray(vectors, dtype=float).reshape(-1, len(FEATURE_NAMES))
    return indexes, matrix


def _fit(rows: list[Row], indexes: list[int], matrix: np.ndarray, window: Window, *, vocabulary: dict,
         label_delay_days: int, seed: int, progress: Progress | None) -> FraudModel:
    if not indexes:
        raise WindowError("no transaction inside the train window")
    labels = np.asarray([rows[i].label for i in indexes])
    if progress:
        progress(f"training on {len(indexes):,} rows ({int(labels.sum()):,} frauds)")
    model, slice_metrics = train(matrix, labels, vocabulary=vocabulary, label_delay_seconds=label_delay_days * DAY,
                                 seed=seed)
    first, last = rows[indexes[0]].txn.ts, rows[indexes[-1]].txn.ts
    model.info = {
        "train_window": window.describe(),
        "data_from": datetime.fromtimestamp(first, UTC).isoformat(),
        "data_to": datetime.fromtimestamp(last, UTC).isoformat(),
        "rows": len(indexes),
        "frauds": int(labels.sum()),
        "label_delay_days": label_delay_days,
        **slice_metrics,
    }
    return model


def train_on(
    rows: list[Row], window: Window, *, label_delay_days: int, seed: int = 7, progress: Progress | None = None,
) -> FraudModel:
    """Train on the rows inside ``window``; the model's ``info`` gets the data range, counts and slice metrics."""
    vocabulary = build_vocabulary([row.txn for row in rows if row.txn.ts in window])
    indexes, matrix = features_for(rows, label_delay_days=label_delay_days, vocabulary=vocabulary,
                                   wanted=window.__contains__, end=window.end, progress=progress)
    return _fit(rows, indexes, matrix, window, vocabulary=vocabulary, label_delay_days=label_delay_days, seed=seed,
                progress=progress)


def evaluate(
    rows: list[Row], *, train_window: Window, test_window: Window, label_delay_days: int, seed: int = 7,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], list[tuple[str, float]], FraudModel]:
    """Train on the train window, score the test window; the report, (transaction_id, score) pairs, the model."""
    check_gap(train_window, test_window, label_delay_days=label_delay_days)
    vocabulary = build_vocabulary([row.txn for row in rows if row.txn.ts in train_window])
    # One pass over the stream serves both windows (the vocabulary comes from the train window only).
    indexes, matrix = features_for(
        rows, label_delay_days=label_delay_days, vocabulary=vocabulary,
        wanted=lambda ts: ts in train_window or ts in test_window, end=test_window.end, progress=progress,
    )
    in_train = np.asarray([rows[i].txn.ts in train_window for i in indexes], dtype=bool)
    train_indexes = [i for i, keep in zip(indexes, in_train, strict=True) if keep]
    model = _fit(rows, train_indexes, matrix[in_train], train_window, vocabulary=vocabulary,
                 label_delay_days=label_delay_days, seed=seed, progress=progress)
    indexes = [i for i, keep in zip(indexes, in_train, strict=True) if not keep]
    matrix = matrix[~in_train]
    if not indexes:
        raise WindowError("no transaction inside the test window")
    if progress:
        progress(f"scoring {len(indexes):,} test rows")
    labels = np.asarray([rows[i].label for i in indexes])
    scores = model.score_all(matrix)
    days = [datetime.fromtimestamp(rows[i].txn.ts, UTC).date().isoformat() for i in indexes]
    customers = [rows[i].txn.customer_id for i in indexes]
    report: dict[str, Any] = {
        "train_window": train_window.describe(),
        "test_window": test_window.describe(),
        "label_delay_days": label_delay_days,
        "train": {"rows": model.info["rows"], "frauds": model.info["frauds"]},
        **binary_metrics(labels, scores["model"]),
    }
    card = card_precision_at_k(days, customers, labels, scores["model"], k=100)
    report["card_precision_at_100"] = card["card_precision_at_100"]
    report["card_precision_at_100_best_possible"] = card["best_possible"]
    baseline = binary_metrics(labels, scores["baseline"])
    baseline["card_precision_at_100"] = card_precision_at_k(days, customers, labels, scores["baseline"])[
        "card_precision_at_100"]
    report["baseline_logistic_regression"] = baseline
    anomaly = binary_metrics(labels, scores["anomaly"], thresholds=())
    report["anomaly_score_alone"] = {key: anomaly[key] for key in ("average_precision", "roc_auc")}
    pairs = [(rows[i].transaction_id, float(s)) for i, s in zip(indexes, scores["model"], strict=True)]
    return report, pairs, model


def recall_at_budget(labels: np.ndarray, scores: np.ndarray, *, budget: float) -> tuple[float | None, int]:
    """The share of the frauds among the ``ceil(budget * rows)`` highest-scored rows (what analysts can review),
    and that number of rows. Ties at the cut are broken by row order (stable), the same for every model."""
    labels = np.asarray(labels, dtype=int)
    frauds = int(labels.sum())
    k = max(int(np.ceil(budget * len(labels))), 1) if len(labels) else 0
    if not frauds:
        return None, k
    top = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k]
    return round(float(labels[top].sum() / frauds), 4), k


def held_out_metrics(
    rows: list[Row], test_window: Window, model: FraudModel, *, budget: float, progress: Progress | None = None,
) -> dict[str, Any]:
    """``model``'s figures on every row of ``test_window``: average precision, ROC AUC, recall within the alert
    budget, precision/recall at the thresholds. Features are the model's own (its vocabulary and label delay), over
    the whole stream before each row, as in ``evaluate``."""
    delay_days = round(model.label_delay_seconds / DAY)
    indexes, matrix = features_for(rows, label_delay_days=delay_days, vocabulary=model.vocabulary,
                                   wanted=test_window.__contains__, end=test_window.end, progress=progress)
    if not indexes:
        raise WindowError("no transaction inside the test window")
    labels = np.asarray([rows[i].label for i in indexes])
    scores = model.score(matrix)
    metrics = binary_metrics(labels, scores)
    metrics["recall_at_budget"], metrics["budget_rows"] = recall_at_budget(labels, scores, budget=budget)
    metrics["test_window"] = test_window.describe()
    return metrics

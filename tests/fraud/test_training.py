"""Training and evaluation on small generated data; the registry's artifacts, promotion and rollback."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditRecord
from apps.fraud import runtime, services
from apps.fraud.errors import NoModelToRollBackTo
from apps.fraud.features import FEATURE_NAMES
from apps.fraud.models import ModelStatus, ModelVersion

WINDOWS = ["--train-from", "2026-01-01", "--train-to", "2026-01-28", "--test-from", "2026-02-05",
           "--test-to", "2026-02-14", "--label-delay-days", "7"]


def test_evaluate_trains_on_one_window_and_scores_every_row_of_a_later_one(small_csv, tmp_path, capsys, db):
    # db: fraud_evaluate asks apps.privacy which customers' rows it must leave out.
    scores = tmp_path / "scores.csv"
    call_command("fraud_evaluate", "--csv", small_csv, *WINDOWS, "--scores-out", str(scores), "--format", "json")
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert "features:" in captured.err or "training on" in captured.err  # progress on stderr
    with open(small_csv) as handle:
        test_ids = [
            r["transaction_id"] for r in csv.DictReader(handle) if "2026-02-05" <= r["timestamp"][:10] <= "2026-02-14"
        ]
    with open(scores) as handle:
        scored = list(csv.DictReader(handle))
    assert [r["transaction_id"] for r in scored] == test_ids
    assert report["rows"] == len(test_ids) and report["frauds"] > 0
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in scored)
    for key in ("average_precision", "roc_auc", "card_precision_at_100"):
        assert report[key] is not None
    # Better than chance: a random ranking's average precision is the fraud share.
    assert report["average_precision"] > 2 * report["frauds"] / report["rows"]
    assert report["roc_auc"] > 0.75
    for threshold in ("at_0.5", "at_0.8"):
        assert set(report[threshold]) >= {"precision", "recall", "false_positive_rate", "flagged"}
    assert report["baseline_logistic_regression"]["average_precision"] is not None


def test_evaluate_refuses_a_test_window_inside_the_label_delay(small_csv, db):
    windows = list(WINDOWS)
    windows[windows.index("2026-02-05")] = "2026-02-01"
    with pytest.raises(CommandError, match="label delay of 7"):
        call_command("fraud_evaluate", "--csv", small_csv, *windows, "--quiet")


def test_a_csv_without_the_required_columns_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("transaction_id,timestamp,amount\nt1,2026-01-01T00:00:00,1\n")
    with pytest.raises(CommandError, match="missing column"):
        call_command("fraud_evaluate", "--csv", str(bad), *WINDOWS, "--quiet")


@pytest.mark.django_db
def test_train_saves_a_versioned_artifact_and_the_registry_promotes_and_rolls_back(small_csv, settings, tmp_path,
                                                                                   capsys):
    settings.QENEX_FRAUD_MODEL_DIR = str(tmp_path / "models")
    call_command("fraud_train", "--csv", small_csv, "--train-to", "2026-02-10", "--quiet", "--promote",
                 "--format", "json")
    first = json.loads(capsys.readouterr().out)
    row = ModelVersion.objects.get(version=first["version"])
    assert row.status == ModelStatus.PRODUCTION and row.feature_names == list(FEATURE_NAMES)
    assert row.data_to.date().isoformat() <= "2026-02-10" and row.code_version
    metadata = json.loads((Path(row.artifact_path).parent / "metadata.json").read_text())
    assert metadata["sha256"] == row.sha256 and metadata["info"]["label_delay_days"] == 7
    assert metadata["metrics"]["calibration_slice"]["average_precision"] is not None

    second = services.model_version_save(model=runtime.load_artifact(row.artifact_path, expected_sha256=row.sha256),
                                         metrics={}, actor="test")
    services.model_version_promote(version=second.version, actor="analyst")
    row.refresh_from_db()
    assert row.status == ModelStatus.RETIRED
    runtime.clear()
    assert runtime.current().version == second.version
    back = services.model_version_rollback(actor="analyst")
    assert back.version == row.version
    assert ModelVersion.objects.get(version=second.version).status == ModelStatus.RETIRED
    actions = list(AuditRecord.objects.filter(object_type="fraud_model").values_list("action", flat=True))
    assert actions.count("fraud.model_promoted") == 2 and "fraud.model_rolled_back" in actions


@pytest.mark.django_db
def test_rollback_without_an_earlier_production_model_is_refused():
    with pytest.raises(NoModelToRollBackTo):
        services.model_version_rollback(actor="analyst")


@pytest.mark.django_db
def test_an_artifact_whose_hash_does_not_match_is_not_loaded(promoted):
    Path(promoted.artifact_path).write_bytes(Path(promoted.artifact_path).read_bytes() + b"tampered")
    runtime.clear()
    assert runtime.current() is None
    assert "SHA-256" in runtime.status()["detail"]


def test_the_single_row_fast_path_gives_scikit_learns_numbers(small_model, small_csv):
    import numpy as np

    from apps.fraud.dataset import read_rows
    from apps.fraud.evaluation import features_for

    rows = read_rows(small_csv)
    _, matrix = features_for(rows, label_delay_days=7, vocabulary=small_model.vocabulary,
                             wanted=lambda ts: True, end=float("inf"))
    sample = matrix[:: max(len(matrix) // 400, 1)]
    expected = small_model.score(sample)
    got = np.asarray([small_model.score_one(list(row)) for row in sample])
    assert np.abs(expected - got).max() < 1e-12
    assert expected.max() > 0.5  # the sample reaches the thresholds, not only the easy zeros


def test_an_artifact_of_an_older_model_format_is_refused(small_model, tmp_path):
    """A model trained before a feature was added (format 2: no device_customers_30d) must be trained again."""
    import copy

    from apps.fraud.model import FORMAT, sha256

    old = copy.copy(small_model)
    old.__dict__.pop("_dumped", None)
    old.format = FORMAT - 1
    path = tmp_path / "old.joblib"
    path.write_bytes(old.dumps())
    with pytest.raises(ValueError, match="train it again"):
        runtime.load_artifact(path, expected_sha256=sha256(path.read_bytes()))
    assert "device_customers_30d" in FEATURE_NAMES and small_model.format == FORMAT


RETRAIN_ON = "2026-02-15T03:15:00+00:00"  # held out: 02-08..02-14; trained on: 01-01..01-31 (7-day label delay)


@pytest.fixture
def retrain_settings(settings, tmp_path, small_csv):
    settings.QENEX_FRAUD_MODEL_DIR = str(tmp_path / "models")
    settings.QENEX_FRAUD_MODEL_REFRESH_SECONDS = 0.0
    settings.QENEX_FRAUD_RETRAIN_CSVS = [small_csv]  # beside the bank's own (here: none)
    settings.QENEX_FRAUD_RETRAIN_DAYS, settings.QENEX_FRAUD_RETRAIN_TEST_DAYS = 45, 7
    settings.QENEX_FRAUD_RETRAIN_LABEL_DELAY_DAYS, settings.QENEX_FRAUD_ALERT_BUDGET = 7, 0.01
    return settings


def test_the_retraining_is_a_daily_beat_entry():
    from django.conf import settings as django_settings

    from apps.fraud import tasks

    entry = django_settings.CELERY_BEAT_SCHEDULE["fraud-retrain"]
    assert entry["task"] == tasks.retrain.name and entry["schedule"].hour == {3}


def test_the_promotion_decision_wants_no_metric_worse():
    decide = services.promotion_decision
    good = {"average_precision": 0.6, "recall_at_budget": 0.5}
    assert decide(good, None, tolerance=0.0) == (True, "no model in production")
    assert decide(good, {"average_precision": 0.6, "recall_at_budget": 0.5}, tolerance=0.0)[0]
    promote, reason = decide(good, {"average_precision": 0.59, "recall_at_budget": 0.55}, tolerance=0.0)
    assert not promote and "recall_at_budget 0.5 < 0.55" in reason
    assert decide(good, {"average_precision": 0.59, "recall_at_budget": 0.55}, tolerance=0.05)[0]
    assert not decide({"average_precision": None, "recall_at_budget": None}, None, tolerance=0.0)[0]


@pytest.mark.django_db
def test_retraining_without_a_production_model_promotes_the_measured_candidate_audited(retrain_settings):
    from apps.fraud import tasks

    result = tasks.retrain.apply(kwargs={"now": RETRAIN_ON}).get()
    assert result["outcome"] == "promoted" and result["current"] is None
    assert result["train_window"] == {"from": "2026-01-01", "to": "2026-01-31"}
    assert result["test_window"] == {"from": "2026-02-08", "to": "2026-02-14"}
    row = ModelVersion.objects.get(version=result["version"])
    assert row.status == ModelStatus.PRODUCTION and row.data_to.date().isoformat() <= "2026-01-31"
    held_out = row.metrics["held_out"]
    assert held_out["average_precision"] > 0.1 and 0 < held_out["recall_at_budget"] <= 1
    audit = AuditRecord.objects.get(action="fraud.model_retrained", object_id=row.version)
    assert audit.after["promoted"] is True and audit.before["production"] is None
    assert AuditRecord.objects.filter(action="fraud.model_promoted", object_id=row.version).exists()
    runtime.clear()
    assert runtime.current().version == row.version


@pytest.mark.django_db
def test_retraining_keeps_a_production_model_the_candidate_does_not_match(retrain_settings, promoted):
    """The production model here was trained on the held-out days themselves (their labels included): no candidate
    trained without them can match it there, so it stays in production and the candidate is only registered."""
    result = services.model_retrain(now=datetime.fromisoformat(RETRAIN_ON), actor="test")
    assert result["outcome"] == "kept" and result["production"] == promoted.version
    assert result["current"]["trained_on_test_window"] is True
    assert result["reason"].startswith("worse than the production model")
    assert ModelVersion.objects.get(version=result["version"]).status == ModelStatus.CANDIDATE
    assert ModelVersion.objects.get(version=promoted.version).status == ModelStatus.PRODUCTION
    audit = AuditRecord.objects.get(action="fraud.model_retrained", object_id=result["version"])
    assert audit.after["promoted"] is False and audit.before["production"] == promoted.version
    assert audit.before["held_out"]["average_precision"] > audit.after["held_out"]["average_precision"]


@pytest.mark.django_db
def test_retraining_without_enough_labelled_data_is_skipped_and_audited(retrain_settings):
    retrain_settings.QENEX_FRAUD_RETRAIN_CSVS = []
    result = services.model_retrain(now=datetime.fromisoformat(RETRAIN_ON), actor="test")
    assert result["outcome"] == "skipped" and not ModelVersion.objects.exists()
    assert AuditRecord.objects.filter(action="fraud.retrain_skipped").count() == 1

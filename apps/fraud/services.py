"""Writes of the fraud app: the model registry (register, promote, roll back), alerts, and analysts' labels.

Each is one durable transaction with its audit record. Promotion and rollback make the new version the one this
process scores with after COMMIT (other processes within ``QENEX_FRAUD_MODEL_REFRESH_SECONDS``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.metrics import FRAUD_DETECTIONS_TOTAL

from . import runtime, selectors
from .errors import AlertAlreadyDecided, AlertNotFound, ArtifactInvalid, ModelVersionNotFound, NoModelToRollBackTo
from .evaluation import Window
from .features import FEATURE_NAMES
from .model import FraudModel, sha256
from .models import AlertStatus, FraudAlert, FraudLabel, ModelStatus, ModelVersion
from .scoring import Score


def code_version() -> str:
    """``git describe`` of the code that trains (or "unknown" outside a git checkout)."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        done = subprocess.run(  # noqa: S603 - a fixed git command, no outside input
            [git, "describe", "--always", "--dirty", "--tags"], cwd=settings.BASE_DIR, capture_output=True,
            text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _write_artifact(model: FraudModel, metrics: dict) -> dict:
    """Write the artifact and its metadata under ``QENEX_FRAUD_MODEL_DIR/<version>/``; the metadata."""
    data = model.dumps()
    digest = sha256(data)
    version = f"fraud-{datetime.now(UTC):%Y%m%dT%H%M%S}-{digest[:8]}"
    directory = Path(settings.QENEX_FRAUD_MODEL_DIR) / version
    directory.mkdir(parents=True, exist_ok=True)
    artifact = directory / "model.joblib"
    artifact.write_bytes(data)
    metadata = {
        "version": version, "sha256": digest, "code_version": code_version(), "feature_names": list(FEATURE_NAMES),
        "info": model.info, "metrics": metrics, "artifact_path": str(artifact),
    }
    (directory / "metadata.json").write_text(json.dumps(metadata, indent=2, default=str))
    return metadata


def _register(model: FraudModel, metadata: dict, *, actor: str) -> ModelVersion:
    """The registry row of a written artifact, audited (inside the caller's transaction)."""
    row = ModelVersion.objects.create(
        version=metadata["version"], artifact_path=metadata["artifact_path"], sha256=metadata["sha256"],
        metrics=metadata["metrics"], feature_names=list(FEATURE_NAMES), data_from=_parse(model.info.get("data_from")),
        data_to=_parse(model.info.get("data_to")), label_delay_days=int(model.info.get("label_delay_days", 0)),
        code_version=metadata["code_version"], created_by=actor,
    )
    audit_record(action="fraud.model_registered", object_type="fraud_model", object_id=row.version,
                 after={"sha256": row.sha256, "metrics": row.metrics, "code_version": row.code_version}, actor=actor)
    return row


def model_version_save(*, model: FraudModel, metrics: dict, actor: str = "system") -> ModelVersion:
    """Write the artifact under ``QENEX_FRAUD_MODEL_DIR/<version>/`` and register it as a candidate."""
    metadata = _write_artifact(model, metrics)
    with transaction.atomic(durable=True):
        return _register(model, metadata, actor=actor)


def _make_production(row: ModelVersion, *, actor: str, action: str) -> ModelVersion:
    try:
        runtime.load_artifact(row.artifact_path, expected_sha256=row.sha256)
    except (OSError, ValueError, EOFError) as exc:
        raise ArtifactInvalid(f"model {row.version} cannot be loaded: {exc}", field="version") from None
    previous = ModelVersion.objects.select_for_update(no_key=True).filter(status=ModelStatus.PRODUCTION).first()
    if previous is not None:
        previous.status = ModelStatus.RETIRED
        previous.save(update_fields=["status"])
    row.status, row.promoted_at = ModelStatus.PRODUCTION, timezone.now()
    row.save(update_fields=["status", "promoted_at"])
    audit_record(action=action, object_type="fraud_model", object_id=row.version, actor=actor,
                 before={"production": previous.version if previous else None}, after={"production": row.version})
    transaction.on_commit(runtime.clear)
    return row


def model_version_promote(*, version: str, actor: str) -> ModelVersion:
    """Put ``version`` in production (the current one is retired); its artifact must load."""
    with transaction.atomic(durable=True):
        row = ModelVersion.objects.select_for_update(no_key=True).filter(version=version).first()
        if row is None:
            raise ModelVersionNotFound(f"no fraud model version {version}", field="version")
        if row.status == ModelStatus.PRODUCTION:
            return row
        return _make_production(row, actor=actor, action="fraud.model_promoted")


def model_version_rollback(*, actor: str) -> ModelVersion:
    """Put back the version that was in production before the current one."""
    with transaction.atomic(durable=True):
        current = selectors.production_model()
        previous = selectors.previous_production_model(current=current)
        if previous is None:
            raise NoModelToRollBackTo("no earlier production model to roll back to")
        previous = ModelVersion.objects.select_for_update(no_key=True).get(pk=previous.pk)
        return _make_production(previous, actor=actor, action="fraud.model_rolled_back")


def alert_record(*, score: Score, action: str) -> FraudAlert:
    """Put a scored transaction in the review queue with the features that raised its score most."""
    subject = score.transaction
    with transaction.atomic(durable=True):
        alert = FraudAlert.objects.create(
            kind=subject.kind, reference=subject.reference, customer_id=subject.customer_id, account=subject.account,
            counterparty_id=subject.counterparty_id[:128], amount_minor=subject.amount_minor,
            currency=subject.currency, occurred_at=subject.at, score=score.probability, decision=score.decision,
            action=action, model_version=score.model_version, explanation=score.explanation(),
        )
        audit_record(action="fraud.alert_raised", object_type="fraud_alert", object_id=alert.public_id,
                     after={"kind": alert.kind, "score": round(alert.score, 4), "decision": alert.decision,
                            "action": action, "model": alert.model_version, "reference": alert.reference})
    FRAUD_DETECTIONS_TOTAL.inc()
    return alert


def alert_decide(*, alert_id: str, is_fraud: bool, actor: str) -> FraudLabel:
    """An analyst's decision on an alert: stored as the label of its transaction (training and live metrics)."""
    with transaction.atomic(durable=True):
        alert = FraudAlert.objects.select_for_update(no_key=True).filter(public_id=alert_id).first()
        if alert is None:
            raise AlertNotFound(f"no fraud alert {alert_id}", field="alert")
        if alert.status != AlertStatus.OPEN:
            raise AlertAlreadyDecided(f"alert {alert_id} was already decided ({alert.status})", field="alert")
        alert.status = AlertStatus.FRAUD if is_fraud else AlertStatus.NOT_FRAUD
        alert.decided_by, alert.decided_at = actor, timezone.now()
        alert.save(update_fields=["status", "decided_by", "decided_at"])
        label = FraudLabel.objects.create(
            alert=alert, reference=alert.reference, customer_id=alert.customer_id,
            counterparty_id=alert.counterparty_id, occurred_at=alert.occurred_at, is_fraud=is_fraud, decided_by=actor,
        )
        audit_record(action="fraud.alert_decided", object_type="fraud_alert", object_id=alert.public_id,
                     before={"status": AlertStatus.OPEN}, after={"status": alert.status}, actor=actor)
    return label


def fraud_subject_erase(*, subject_id: str, actor: str) -> dict[str, int]:
    """Delete the subject's fraud alerts and labels (in the caller's transaction: apps.privacy's erasure).

    They rest on the bank's legitimate interest in preventing fraud, not on a legal retention duty, and by the time
    an erasure runs (after the AML retention of the relationship, with no alert open: a legal hold) they serve no
    purpose left: training already leaves out erased customers. The audit trail keeps their ids and decisions.
    """
    alerts, labels = selectors.fraud_records_of_subject(subject_id=subject_id)
    label_count, _ = labels.delete()  # first: a label protects its alert
    alert_count, _ = alerts.delete()
    counts = {"alerts": alert_count, "labels": label_count}
    audit_record(
        action="fraud.subject_erased", object_type="customer", object_id=subject_id, after=counts, actor=actor
    )
    return counts


@transaction.atomic(durable=True)
def fraud_counterparties_rekey(*, actor: str = "rekey_blind_index") -> dict[str, int]:
    """Bring the ``bidx:`` counterparty ids of payment alerts and their labels in line with their payment's creditor
    index after a blind-index re-key (``manage.py rekey_blind_index`` calls it once the payments are re-keyed).

    Each takes ``bidx:`` + the creditor index of the payment it names (``reference``); rows without a payment keep
    theirs. One statement per table; a second run changes nothing.
    """
    from django.db.models import CharField, OuterRef, Subquery, Value
    from django.db.models.functions import Concat

    from apps.payments.models import PaymentOrder

    counts = {}
    for name, model in (("alerts", FraudAlert), ("labels", FraudLabel)):
        creditor = PaymentOrder.objects.filter(public_id=OuterRef("reference")).exclude(creditor_identifier_bidx="")
        current = Concat(
            Value(selectors.BIDX_PREFIX), Subquery(creditor.values("creditor_identifier_bidx")[:1]),
            output_field=CharField(),
        )
        stale = (
            model.objects.filter(counterparty_id__startswith=selectors.BIDX_PREFIX)
            .exclude(reference="")
            .alias(current=current)
            .filter(current__isnull=False)
            .exclude(counterparty_id=F("current"))
        )
        counts[name] = model.objects.filter(pk__in=stale.values("pk")).update(counterparty_id=current)
    if any(counts.values()):
        audit_record(action="fraud.counterparties_rekeyed", object_type="blind_index_copies", object_id="fraud",
                     after=counts, actor=actor)
    return counts


def retrain_windows(*, today: date) -> tuple[Window, Window, int]:
    """The train and held-out test windows of a retraining on ``today`` (UTC), and the label delay in days.

    The test window is the last ``QENEX_FRAUD_RETRAIN_TEST_DAYS`` whole days before today; the train window runs from
    ``QENEX_FRAUD_RETRAIN_DAYS`` days back to the label delay before the test window (every training label was known
    before the first test transaction, as ``fraud_evaluate`` requires).
    """
    delay = settings.QENEX_FRAUD_RETRAIN_LABEL_DELAY_DAYS
    test_to = today - timedelta(days=1)
    test_from = test_to - timedelta(days=settings.QENEX_FRAUD_RETRAIN_TEST_DAYS - 1)
    train_to = test_from - timedelta(days=delay + 1)
    train_from = test_to - timedelta(days=settings.QENEX_FRAUD_RETRAIN_DAYS - 1)
    return Window.of_days(train_from, train_to), Window.of_days(test_from, test_to), delay


def promotion_decision(candidate: dict, current: dict | None, *, tolerance: float) -> tuple[bool, str]:
    """Promote the candidate only if it is not worse than the production model on the held-out days: its average
    precision and its recall within the alert budget each at least the current one's minus ``tolerance``."""
    if candidate.get("average_precision") is None:
        return False, "no fraud among the held-out transactions: nothing to measure the candidate on"
    if current is None:
        return True, "no model in production"
    worse = [
        f"{name} {candidate[name]} < {current[name]}"
        for name in ("average_precision", "recall_at_budget")
        if current.get(name) is not None and (candidate.get(name) or 0.0) < current[name] - tolerance
    ]
    if worse:
        return False, "worse than the production model: " + ", ".join(worse)
    return True, "not worse than the production model"


def model_retrain(*, now: datetime | None = None, actor: str = "task:fraud_retrain") -> dict:
    """Train a candidate on the labelled history, measure it and the production model on held-out later days, and
    promote it only if it is not worse (``promotion_decision``). Audited: ``fraud.model_retrained`` with both
    models' figures and the decision (and the registration and promotion as usual), or ``fraud.retrain_skipped``.

    Rows: the bank's own labelled transactions (``selectors.labelled_history``, what ``fraud_export`` writes) and the
    CSVs of ``QENEX_FRAUD_RETRAIN_CSVS``, without restricted or erased customers (as ``fraud_train``). The promoted
    artifact is the one measured (trained without the held-out days). Training runs outside any transaction.
    """
    from .dataset import DatasetError, read_rows, rows_of_records
    from .evaluation import WindowError, held_out_metrics, train_on
    from .model import TrainingError

    now = now or timezone.now()
    train_window, test_window, delay = retrain_windows(today=now.astimezone(UTC).date())
    budget, tolerance = settings.QENEX_FRAUD_ALERT_BUDGET, settings.QENEX_FRAUD_RETRAIN_TOLERANCE
    windows = {"train_window": train_window.describe(), "test_window": test_window.describe(),
               "label_delay_days": delay, "alert_budget": budget}
    try:
        rows = rows_of_records(selectors.labelled_history(
            since=datetime.fromtimestamp(train_window.start, UTC), until=datetime.fromtimestamp(test_window.end, UTC)))
        for path in settings.QENEX_FRAUD_RETRAIN_CSVS:
            rows.extend(row for row in read_rows(path) if train_window.start <= row.txn.ts < test_window.end)
        rows.sort(key=lambda row: row.txn.ts)
        rows = selectors.training_rows_permitted(rows=rows)
        candidate = train_on(rows, train_window, label_delay_days=delay)
        measured = held_out_metrics(rows, test_window, candidate, budget=budget)
    except (TrainingError, WindowError, DatasetError, OSError) as exc:
        with transaction.atomic(durable=True):
            audit_record(action="fraud.retrain_skipped", object_type="fraud_model", object_id="retrain",
                         after={**windows, "reason": str(exc)}, actor=actor)
        return {"outcome": "skipped", "reason": str(exc), **windows}

    current_row = selectors.production_model()
    current_metrics, current_note = None, ""
    if current_row is not None:
        try:
            current = runtime.load_artifact(current_row.artifact_path, expected_sha256=current_row.sha256)
        except (OSError, ValueError, EOFError, ImportError, AttributeError) as exc:
            current_note = f"the production model {current_row.version} cannot be loaded: {exc}"
        else:
            current_metrics = held_out_metrics(rows, test_window, current, budget=budget)
            saw = current_row.data_to is not None and current_row.data_to.timestamp() >= test_window.start
            current_metrics["trained_on_test_window"] = saw  # then its figures are optimistic: harder to beat
    promote, reason = promotion_decision(measured, current_metrics, tolerance=tolerance)
    if current_note:
        reason = f"{current_note}; {reason}"

    metrics = {key: candidate.info[key] for key in ("calibration_slice", "slice_rows", "slice_frauds")}
    metrics["held_out"] = measured
    metadata = _write_artifact(candidate, metrics)
    with transaction.atomic(durable=True):
        row = _register(candidate, metadata, actor=actor)
        audit_record(
            action="fraud.model_retrained", object_type="fraud_model", object_id=row.version, actor=actor,
            before={"production": current_row.version if current_row else None, "held_out": current_metrics},
            after={**windows, "candidate": row.version, "held_out": measured, "promoted": promote, "reason": reason},
        )
        if promote:
            locked = ModelVersion.objects.select_for_update(no_key=True).get(pk=row.pk)
            _make_production(locked, actor=actor, action="fraud.model_promoted")
    return {"outcome": "promoted" if promote else "kept", "version": row.version, "reason": reason,
            "candidate": measured, "current": current_metrics,
            "production": row.version if promote else (current_row.version if current_row else None), **windows}

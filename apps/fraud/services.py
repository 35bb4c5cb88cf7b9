"""Writes of the fraud app: the model registry (register, promote, roll back), alerts, and analysts' labels.

Each is one durable transaction with its audit record. Promotion and rollback make the new version the one this
process scores with after COMMIT (other processes within ``QENEX_FRAUD_MODEL_REFRESH_SECONDS``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.metrics import FRAUD_DETECTIONS_TOTAL

from . import runtime, selectors
from .errors import AlertAlreadyDecided, AlertNotFound, ArtifactInvalid, ModelVersionNotFound, NoModelToRollBackTo
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


def model_version_save(*, model: FraudModel, metrics: dict, actor: str = "system") -> ModelVersion:
    """Write the artifact under ``QENEX_FRAUD_MODEL_DIR/<version>/`` and register it as a candidate."""
    data = model.dumps()
    digest = sha256(data)
    version = f"fraud-{datetime.now(UTC):%Y%m%dT%H%M%S}-{digest[:8]}"
    directory = Path(settings.QENEX_FRAUD_MODEL_DIR) / version
    directory.mkdir(parents=True, exist_ok=True)
    artifact = directory / "model.joblib"
    artifact.write_bytes(data)
    metadata = {
        "version": version, "sha256": digest, "code_version": code_version(), "feature_names": list(FEATURE_NAMES),
        "info": model.info, "metrics": metrics,
    }
    (directory / "metadata.json").write_text(json.dumps(metadata, indent=2, default=str))
    with transaction.atomic(durable=True):
        row = ModelVersion.objects.create(
            version=version, artifact_path=str(artifact), sha256=digest, metrics=metrics,
            feature_names=list(FEATURE_NAMES), data_from=_parse(model.info.get("data_from")),
            data_to=_parse(model.info.get("data_to")), label_delay_days=int(model.info.get("label_delay_days", 0)),
            code_version=metadata["code_version"], created_by=actor,
        )
        audit_record(action="fraud.model_registered", object_type="fraud_model", object_id=version,
                     after={"sha256": digest, "metrics": metrics, "code_version": row.code_version}, actor=actor)
    return row


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

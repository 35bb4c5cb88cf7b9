"""Scenario 11, "Fraud at night", as a worked example on PostgreSQL: an account takeover is refused, an analyst
labels it, the label feeds the next training run and the live model-quality gauges.

Anna has banked with us for a year. For three weeks she paid her landlord and her gym from her phone
(``device_id`` ``anna-phone``), in the daytime, 60-140 EUR. At 03:00 UTC (the features' hours are UTC: no customer
time zone is stored) someone who has her credentials pays 2,400 EUR to a new payee in Lithuania from a device she
never used. The fraud model in production (trained on the synthetic history, as ``fraud_train --promote`` does)
scores it above the block threshold: with ``QENEX_FRAUD_BLOCK_ACTIONS=payment=reject`` the payment is REJECTED
with reason code ``fraud_suspected`` and its top features, and an alert with the features as machine-readable
explanation waits in the review queue. A normal daytime payment from her phone to her landlord passes.

The scored payments carry their own time (``PaymentRequest.at``, the payment's ``created_at``): scoring reads that,
not the clock, so the test makes "a payment at 03:00" without waiting for 03:00 or patching time. The HTTP API has
no such field (a client does not choose the time it is scored at); the test makes the payments through the service
the API calls and reads everything back over the API, as a customer, an analyst and Prometheus would.

The analyst (staff, role ``compliance_officer``, signed in with password and OTP) had earlier cleared one alert as
a false positive; now they mark the takeover as fraud: ``qenex_false_positive_rate`` falls from 1 to 0.5 and
``qenex_model_accuracy`` rises from 0 to 0.5 on ``/metrics``. ``fraud_export`` writes the bank's transactions with
the labels; ``fraud_train --csv synthetic --csv export --promote`` trains on both: one fraud more than the first
model, and the gauges now name the new version.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Account
from apps.fraud import runtime, scoring, synthetic
from apps.fraud.dataset import read_rows
from apps.fraud.evaluation import Window, train_on
from apps.fraud.features import FEATURE_NAMES
from apps.fraud.models import FraudAlert
from apps.fraud.services import model_version_promote, model_version_save
from apps.payments import services as payments
from apps.payments.request import Party, PaymentRequest
from tests.conftest import make_client
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ANNA = "cust-anna"
ANNA_IBAN = "DE89370400440532013000"
PHONE = "anna-phone"
# A small synthetic history with many frauds (its account takeovers teach the model the pattern): ~4,500 rows.
SYNTHETIC = {"customers": 80, "days": 30, "seed": 11, "fraud_scale": 8.0}


def iban(country: str, bban: str) -> str:
    """A valid IBAN (ISO 13616 check digits) for ``bban``."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


LANDLORD = iban("DE", "370400440000000101")
GYM = iban("DE", "370400440000000202")
MULE = iban("LT", "1000011101001000")


def pay(account: Account, *, to: str, name: str, amount: str, at: datetime, device: str, country: str = "DE",
        bic: str = ""):
    """A SEPA payment Anna's banking app made at ``at`` from ``device`` (the service the payments API calls)."""
    request = PaymentRequest(
        sender=Party(name="Anna Schmidt", account=account.public_id, iban=ANNA_IBAN, country="DE"),
        receiver=Party(name=name, iban=to, bic=bic, country=country), amount=amount, currency="EUR",
        reference=f"R-{at:%m%d%H%M}-{to[-4:]}", device_id=device, at=at,
    )
    return payments.payment_send(request=request, debtor_account=account.public_id).payment


@pytest.fixture
def synthetic_csv(tmp_path) -> Path:
    path = tmp_path / "synthetic.csv"
    synthetic.write_csv(path, synthetic.generate(**SYNTHETIC))
    return path


@pytest.fixture
def first_model(settings, tmp_path, synthetic_csv):
    """A model trained on the synthetic history, registered and in production (as ``fraud_train --promote``)."""
    first_day = synthetic.START.date()
    window = Window.of_days(first_day, first_day + timedelta(days=SYNTHETIC["days"] - 1))
    model = train_on(read_rows(str(synthetic_csv)), window, label_delay_days=7)
    settings.QENEX_FRAUD_MODEL_DIR = str(tmp_path / "models")
    settings.QENEX_FRAUD_MODEL_REFRESH_SECONDS = 0.0
    row = model_version_save(model=model, metrics={"scenario": 11}, actor="test")
    model_version_promote(version=row.version, actor="test")
    runtime.clear()
    yield row, model.info["frauds"]
    runtime.clear()


def gauges(client: Client) -> dict[str, tuple[str, float]]:
    """qenex_false_positive_rate and qenex_model_accuracy as scraped: {name: (model label, value)}."""
    text = client.get("/metrics").content.decode()
    found = {}
    for name in ("qenex_false_positive_rate", "qenex_model_accuracy"):
        match = re.search(rf'^{name}{{model="([^"]+)"}} ([0-9.e+-]+)$', text, re.MULTILINE)
        if match:
            found[name] = (match.group(1), float(match.group(2)))
    return found


def test_a_night_time_account_takeover_is_refused_labelled_and_learnt_from(first_model, settings, tmp_path,
                                                                          synthetic_csv):
    production, first_frauds = first_model
    settings.QENEX_FRAUD_BLOCK_ACTIONS = "payment=reject"  # refuse, not hold, on this bank's payment channel
    now = timezone.now()
    night = now.replace(hour=3, minute=0, second=0, microsecond=0)  # the last 03:00 UTC at least an hour ago
    if night > now - timedelta(hours=1):
        night -= timedelta(days=1)
    anna = funded_account("10000.00", "EUR", owner_id=ANNA, name="Anna Schmidt")
    # Arranging the past: her account was opened a year ago (the opening service always opens it now).
    Account.objects.filter(pk=anna.pk).update(created_at=night - timedelta(days=365))

    # 1. Three weeks of ordinary life: daytime payments from her phone to the landlord and the gym.
    for day in range(21, 0, -1):
        daytime = (night - timedelta(days=day)).replace(hour=9 + day % 8, minute=17)
        to, name = (LANDLORD, "Hausverwaltung Meyer") if day % 3 else (GYM, "Fitness Studio Nord")
        paid = pay(anna, to=to, name=name, amount=f"{60 + (day * 37) % 80}.00", at=daytime, device=PHONE)
        assert paid.status == "QUEUED", (paid.reason_code, paid.reason)

    analyst = otp_login(Client(), make_staff("ruth", "compliance_officer"))
    prometheus = Client()
    assert gauges(prometheus) == {}  # no label yet: no made-up value

    # 2. An earlier false positive: for a week every payment went to review; the analyst cleared one of them.
    settings.QENEX_FRAUD_REVIEW_THRESHOLD = 0.0
    reviewed = pay(anna, to=GYM, name="Fitness Studio Nord", amount="70.00",
                   at=night - timedelta(hours=20), device=PHONE)
    settings.QENEX_FRAUD_REVIEW_THRESHOLD = 0.5
    assert reviewed.status == "QUEUED"
    cleared = FraudAlert.objects.get(reference=reviewed.public_id)
    answer = analyst.post(f"/api/v1/fraud/alerts/{cleared.public_id}/decision", {"decision": "not_fraud"},
                          content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert gauges(prometheus) == {"qenex_false_positive_rate": (production.version, 1.0),
                                  "qenex_model_accuracy": (production.version, 0.0)}

    # 3. The normal daytime payment: her phone, her landlord, her usual amount. Not blocked, not even reviewed.
    normal = pay(anna, to=LANDLORD, name="Hausverwaltung Meyer", amount="95.00",
                 at=night - timedelta(hours=14), device=PHONE)
    assert normal.status == "QUEUED", (normal.reason_code, normal.reason)
    assert not FraudAlert.objects.filter(reference=normal.public_id).exists()

    # 4. 03:00 UTC: a new device, a new payee abroad, 25 times her usual amount. Refused, with the reasons.
    takeover = pay(anna, to=MULE, name="UAB Greitas Pelnas", amount="2400.00", at=night,
                   device="unknown-android-7f3a", country="LT", bic="HABALT22XXX")
    customer = make_client(["payments:read"], name="annas-app", owners=[ANNA])
    shown = customer.get(f"/api/v1/payments/{takeover.public_id}").json()
    assert (shown["status"], shown["reason_code"]) == ("REJECTED", "fraud_suspected"), shown
    top = shown["reason"].split("top features: ")[1].rstrip(")").split(", ")
    assert len(top) == 3 and set(top) <= set(FEATURE_NAMES), shown["reason"]
    queue = analyst.get("/api/v1/fraud/alerts?status=open").json()["results"]
    assert [(a["reference"], a["decision"], a["action"]) for a in queue] == [(takeover.public_id, "block", "rejected")]
    alert = queue[0]
    assert alert["score"] >= settings.QENEX_FRAUD_BLOCK_THRESHOLD
    assert [item["feature"] for item in alert["explanation"][:3]] == top
    assert all(item["contribution"] > 0 for item in alert["explanation"])
    # What the model saw, from the payments' own times and devices (the same function training uses).
    seen = {p.public_id: dict(zip(FEATURE_NAMES, scoring.vector_of(runtime.current(), scoring.from_payment(p)),
                                  strict=True)) for p in (normal, takeover)}
    signals = ("new_device", "new_payee", "is_night", "foreign_country")
    assert [seen[takeover.public_id][name] for name in signals] == [1.0, 1.0, 1.0, 1.0]
    assert [seen[normal.public_id][name] for name in signals] == [0.0, 0.0, 0.0, 0.0]
    assert seen[takeover.public_id]["hour"] == 3.0 and seen[takeover.public_id]["amount_to_avg_30d"] > 20

    # 5. The analyst marks it fraud: the false-positive rate falls, the accuracy rises.
    answer = analyst.post(f"/api/v1/fraud/alerts/{alert['id']}/decision", {"decision": "fraud"},
                          content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "fraud", answer.content
    assert gauges(prometheus) == {"qenex_false_positive_rate": (production.version, 0.5),
                                  "qenex_model_accuracy": (production.version, 0.5)}

    # 6. The next training run: the bank's transactions with their labels beside the synthetic history.
    export = tmp_path / "bank.csv"
    call_command("fraud_export", out=str(export), stdout=io.StringIO())
    with open(export, newline="", encoding="utf-8") as handle:
        labels = {row["transaction_id"]: (row["label"], row["device_id"] != "") for row in csv.DictReader(handle)}
    assert labels[takeover.public_id] == ("1", True) and labels[reviewed.public_id] == ("0", True)
    assert sum(label == "1" for label, _ in labels.values()) == 1
    out = io.StringIO()
    call_command("fraud_train", "--csv", str(synthetic_csv), "--csv", str(export), "--promote", "--format", "json",
                 "--quiet", stdout=out)
    trained = json.loads(out.getvalue())
    assert trained["status"] == "production" and trained["version"] != production.version
    assert trained["frauds"] == first_frauds + 1  # the analyst's label is one of the new model's frauds
    assert trained["data_to"].startswith(night.date().isoformat())
    assert gauges(prometheus) == {"qenex_false_positive_rate": (trained["version"], 0.5),
                                  "qenex_model_accuracy": (trained["version"], 0.5)}

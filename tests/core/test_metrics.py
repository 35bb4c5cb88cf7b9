"""Every metric the seed names is exported, with its name and type, at /metrics and on the metrics port."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from apps.core.metrics import start_listener
from apps.ledger.services import post_by_type
from tests.conftest import make_client
from tests.factories import funded_account

# The seed's "Key Metrics" (Monitoring & Observability), each with the type it is exported as. The seed gives no
# types: counters for the ``_total`` names, histograms for durations, gauges for levels. ``_amount_sum`` is a
# gauge that only goes up, because prometheus_client would export a Counter as ``qenex_transaction_amount_sum_total``.
SEED_METRICS = {
    "qenex_transactions_total": "counter",
    "qenex_transaction_duration_seconds": "histogram",
    "qenex_transaction_errors_total": "counter",
    "qenex_transaction_amount_sum": "gauge",
    "qenex_active_connections": "gauge",
    "qenex_memory_usage_bytes": "gauge",
    "qenex_cpu_usage_percent": "gauge",
    "qenex_disk_io_bytes": "gauge",
    "qenex_fraud_detections_total": "counter",
    "qenex_model_accuracy": "gauge",
    "qenex_inference_duration_seconds": "histogram",
    "qenex_false_positive_rate": "gauge",
}
LISTENER_PORT = 18412


def declared_types(exposition: str) -> dict[str, str]:
    """``# TYPE name type`` lines of a Prometheus text exposition."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", exposition, flags=re.M))


def samples(exposition: str) -> dict[str, float]:
    return {m[0]: float(m[1]) for m in re.findall(r"^([a-z_][^ ]*) (\S+)$", exposition, flags=re.M)}


@pytest.fixture
def activity(db):
    """One posting through the API, one refused, and one through the service directly (as a task would)."""
    api = make_client(["accounts:write", "transactions:write"], name="metrics")
    a = api.post(
        "/api/v1/accounts",
        {"owner_id": "m", "account_type": "CHECKING", "currency": "USD", "initial_balance": "5"},
        format="json",
    ).json()
    b = api.post(
        "/api/v1/accounts", {"owner_id": "n", "account_type": "CHECKING", "currency": "USD"}, format="json"
    ).json()
    refused = api.post(
        "/api/v1/transactions",
        {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "9", "currency": "USD"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="metrics-refused",
    )
    assert refused.status_code == 422, refused.content
    post_by_type(
        entry_type="DEPOSIT",
        from_account=None,
        to_account=funded_account("1").public_id,
        amount="2.50",
        currency="USD",
        description="",
        metadata={},
        idempotency_key="metrics-direct",
        actor="test",
    )


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def listener():
    server = start_listener("127.0.0.1", LISTENER_PORT)
    yield f"http://127.0.0.1:{LISTENER_PORT}/metrics"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_every_seed_metric_is_exported_with_its_name_and_type(activity, client, listener):
    for exposition in (client.get("/metrics").content.decode(), get(listener)[1]):
        types = declared_types(exposition)
        for name, kind in SEED_METRICS.items():
            assert types.get(name) == kind, f"{name}: exported as {types.get(name)}, the seed's is {kind}"


@pytest.mark.django_db(transaction=True)
def test_postings_by_any_path_and_refusals_are_counted(client):
    before = samples(client.get("/metrics").content.decode())
    key = 'qenex_transactions_total{currency="USD",type="DEPOSIT"}'
    volume = 'qenex_transaction_amount_sum{currency="USD",type="DEPOSIT"}'
    refusals = 'qenex_transaction_errors_total{code="insufficient_funds",type="TRANSFER"}'
    # Counters live for the whole test session: compare what this test adds, not absolute values.
    api = make_client(["accounts:write", "transactions:write"], name="metrics")
    a = api.post(
        "/api/v1/accounts",
        {"owner_id": "m", "account_type": "CHECKING", "currency": "USD", "initial_balance": "5"},
        format="json",
    ).json()
    b = api.post(
        "/api/v1/accounts", {"owner_id": "n", "account_type": "CHECKING", "currency": "USD"}, format="json"
    ).json()
    api.post(
        "/api/v1/transactions",
        {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"], "amount": "9", "currency": "USD"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    post_by_type(
        entry_type="DEPOSIT",
        from_account=None,
        to_account=b["id"],
        amount="2.50",
        currency="USD",
        description="",
        metadata={},
        idempotency_key="k2",
        actor="test",
    )
    after = samples(client.get("/metrics").content.decode())
    assert after[key] - before.get(key, 0) == 2  # the opening deposit (API) and the direct service call
    assert after[volume] - before.get(volume, 0) == pytest.approx(7.5)
    assert after[refusals] - before.get(refusals, 0) == 1
    timed = 'qenex_transaction_duration_seconds_count{type="TRANSFER"}'
    assert after[timed] - before.get(timed, 0) == 1  # the refused transfer was timed too


def test_the_instance_metrics_measure_this_process():
    from apps.core.metrics import exposition

    values = samples(exposition().decode())
    assert values["qenex_memory_usage_bytes"] > 10 * 1024 * 1024  # a Django process is well above 10 MiB
    assert values["qenex_cpu_usage_percent"] >= 0
    assert values['qenex_disk_io_bytes{direction="read"}'] >= 0


def test_the_model_metrics_have_no_value_until_there_is_a_model():
    from apps.core.metrics import exposition

    text = exposition().decode()
    assert "# TYPE qenex_model_accuracy gauge" in text
    assert not re.search(r"^qenex_(model_accuracy|false_positive_rate)\b", text, flags=re.M)
    assert samples(text)["qenex_fraud_detections_total"] == 0


@pytest.mark.django_db
def test_the_metrics_port_wants_the_scrape_token_like_metrics(settings, listener, client):
    settings.QENEX_METRICS_TOKEN = "t" * 40
    assert get(listener)[0] == 401
    assert get(listener, token="wrong")[0] == 401
    assert client.get("/metrics").status_code == 401
    status, body = get(listener, token="t" * 40)
    assert status == 200 and "# TYPE qenex_transactions_total counter" in body
    settings.QENEX = {**settings.QENEX, "metrics": {**settings.QENEX["metrics"], "enabled": False}}
    assert get(listener, token="t" * 40)[0] == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 40).status_code == 404


def test_the_celery_queue_length_is_read_from_the_broker(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL")
    import redis

    from apps.core.metrics import exposition

    settings.CELERY_TASK_ALWAYS_EAGER = False
    broker = redis.Redis.from_url(settings.REDIS_URL)
    queued_before = broker.llen("celery")
    broker.rpush("celery", b"placeholder-1", b"placeholder-2")
    try:
        assert samples(exposition().decode())['qenex_celery_queue_length{queue="celery"}'] == queued_before + 2
    finally:
        broker.lrem("celery", 0, b"placeholder-1")
        broker.lrem("celery", 0, b"placeholder-2")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert not re.search(r"^qenex_celery_queue_length\{", exposition().decode(), flags=re.M)  # no broker: no value


@pytest.mark.django_db
def test_open_payments_and_dead_letters_are_counted_when_scraped():
    from apps.core.metrics import exposition
    from apps.payments import services
    from tests.payments.gateway.payments import request_from, sct_body

    account = funded_account("500.00", "EUR")
    queued = services.payment_send(request=request_from(sct_body(account.public_id)), debtor_account=account.public_id)
    assert queued.payment.status == "QUEUED"
    found = samples(exposition().decode())
    assert found['qenex_payments_open{rail="sepa",status="QUEUED"}'] == 1
    services.payment_cancel(payment_id=queued.payment.public_id, actor="test")
    assert 'qenex_payments_open{rail="sepa",status="QUEUED"}' not in samples(exposition().decode())  # final: gone


@pytest.mark.django_db
def test_screenings_are_counted_by_decision_with_their_time():
    from apps.compliance.screening import screen_name
    from apps.core.metrics import exposition

    before = samples(exposition().decode())
    screen_name(name="Jane Q. Unlisted-Person")
    after = samples(exposition().decode())
    key = 'qenex_screenings_total{decision="clear"}'
    assert after[key] == before.get(key, 0) + 1
    assert (
        after["qenex_screening_duration_seconds_count"] == before.get("qenex_screening_duration_seconds_count", 0) + 1
    )

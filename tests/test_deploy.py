"""Deployment files stay true: alert rules and dashboards only name metrics the app exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import make_client

ROOT = Path(__file__).resolve().parent.parent
PROMQL_FUNCTIONS = {"rate", "sum", "by", "clamp_min", "histogram_quantile", "le", "type", "currency", "code",
                    "status", "humanizePercentage", "value"}


def metric_names(expr: str) -> set[str]:
    names = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b(?=\s*[\[{)]|\s*[/>=]|$)", expr))
    return {n for n in names if n not in PROMQL_FUNCTIONS and ("_" in n)}


@pytest.fixture
def exported(transactional_db, client) -> str:
    api = make_client(["accounts:write", "transactions:write"], name="metrics")
    a = api.post("/api/v1/accounts", {"owner_id": "m", "account_type": "CHECKING", "currency": "USD",
                                      "initial_balance": "5"}, format="json").json()
    b = api.post("/api/v1/accounts", {"owner_id": "n", "account_type": "CHECKING", "currency": "USD"},
                 format="json").json()
    api.post("/api/v1/transactions", {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"],
                                      "amount": "9", "currency": "USD"}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    api.post("/api/v1/transactions", {"type": "TRANSFER", "from_account": a["id"], "to_account": b["id"],
                                      "amount": "1", "currency": "USD"}, format="json", HTTP_IDEMPOTENCY_KEY="y")
    client.get("/nowhere-404")
    return client.get("/metrics").content.decode()


def _declared(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def test_alert_rules_reference_only_exported_metrics(exported):
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    declared = _declared(exported)
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert len(exprs) >= 5
    checked = set()
    for expr in exprs:
        for name in metric_names(expr):
            checked.add(name)
            assert name in declared or f"{name}_total" in declared, f"{name} in {expr!r} is not exported"
    assert {"qenex_transaction_errors_total", "qenex_transactions_total", "process_resident_memory_bytes"} <= checked


def test_dashboard_queries_reference_only_exported_metrics(exported):
    dashboard = json.loads((ROOT / "deploy/grafana/transaction-overview.json").read_text())
    declared = _declared(exported)
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for name in metric_names(target["expr"]):
                assert name in declared, f"{name} in panel {panel['title']!r} is not exported"


def test_seed_metric_names_are_exported(exported):
    for name in ("qenex_transactions_total", "qenex_transaction_errors_total", "qenex_transaction_amount_sum_total",
                 "qenex_transaction_duration_seconds_bucket"):
        assert name in _declared(exported)

"""Deployment files stay true: alert rules and dashboards name exported metrics; manifests, scrape config, image."""

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


# --- Kubernetes manifests, Prometheus scrape config and the image ---------------------------------------------

K8S = ROOT / "deploy/k8s/qenex.yaml"


def manifests() -> list[dict]:
    return [doc for doc in yaml.safe_load_all(K8S.read_text()) if doc]


def pod_specs() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc["spec"]["template"]["spec"] for doc in manifests()
            if doc["kind"] in ("Deployment", "Job")}


def names_read_by_the_code() -> set[str]:
    """Every QENEX_* (and DATABASE_URL/REDIS_URL) string literal in qenex/ and apps/: what settings and apps read."""
    names: set[str] = set()
    for path in [*(ROOT / "qenex").rglob("*.py"), *(ROOT / "apps").rglob("*.py")]:
        names |= set(re.findall(r"[\"']((?:QENEX_[A-Z0-9_]+)|DATABASE_URL|REDIS_URL)[\"']", path.read_text()))
    return names


def test_every_volume_mount_names_a_volume_of_its_pod():
    for name, spec in pod_specs().items():
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for container in spec["containers"]:
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, f"{name}/{container['name']} mounts undefined {mount['name']!r}"
        claims = {v["persistentVolumeClaim"]["claimName"] for v in volumes.values() if "persistentVolumeClaim" in v}
        defined = {doc["metadata"]["name"] for doc in manifests() if doc["kind"] == "PersistentVolumeClaim"}
        assert claims <= defined, f"{name} uses undefined claims {claims - defined}"


def test_the_hsm_pin_and_audit_key_files_are_mounted_where_the_env_says():
    for name in ("qenex-web", "qenex-worker", "qenex-migrate"):
        spec = pod_specs()[name]
        secret_volumes = {v["name"] for v in spec["volumes"] if "secret" in v}
        for container in spec["containers"]:
            env = {item["name"]: item.get("value") for item in container.get("env", [])}
            assert {"QENEX_HSM_PIN_FILE", "QENEX_AUDIT_SIGNING_KEY_FILE"} <= set(env), name
            mounts = container["volumeMounts"]
            for var in ("QENEX_HSM_PIN_FILE", "QENEX_AUDIT_SIGNING_KEY_FILE"):
                holders = [m for m in mounts if env[var].startswith(m["mountPath"].rstrip("/") + "/")]
                assert holders, f"{name}: {var}={env[var]} is on no mounted volume"
                assert holders[0]["name"] in secret_volumes and holders[0].get("readOnly"), (name, var)


def test_env_vars_in_the_manifests_are_read_by_the_code():
    read = names_read_by_the_code()
    assert {"QENEX_SECRET_KEY", "QENEX_METRICS_TOKEN", "QENEX_HSM_PIN_FILE", "DATABASE_URL"} <= read
    for spec in pod_specs().values():
        for container in spec["containers"]:
            for item in container.get("env", []):
                assert item["name"] in read, f"{item['name']} is set in the manifest but nothing reads it"
    # The names the header comment asks for in the Secrets, too.
    for name in set(re.findall(r"\bQENEX_[A-Z0-9_]+\b", K8S.read_text())):
        assert name in read, f"{name} is named in {K8S.name} but nothing reads it"


def test_a_job_runs_the_migrations():
    jobs = [doc for doc in manifests() if doc["kind"] == "Job"]
    commands = [c["command"] for job in jobs for c in job["spec"]["template"]["spec"]["containers"]]
    assert ["python", "manage.py", "migrate", "--noinput"] in commands


def test_probes_use_the_health_path_on_the_container_port():
    web = pod_specs()["qenex-web"]["containers"][0]
    ports = {port["containerPort"] for port in web["ports"]}
    paths = {"readinessProbe": "/health/ready", "livenessProbe": "/health/live"}
    for probe, path in paths.items():
        assert web[probe]["httpGet"]["path"] == path and web[probe]["httpGet"]["port"] in ports


def test_prometheus_scrapes_every_web_pod_with_the_token_file():
    job = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())["scrape_configs"][0]
    assert "static_configs" not in job  # a Service target would hit one replica per scrape
    assert job["kubernetes_sd_configs"] == [{"role": "pod"}]
    assert job["authorization"]["credentials_file"]
    keep = {tuple(r["source_labels"]): r["regex"] for r in job["relabel_configs"] if r.get("action") == "keep"}
    assert keep[("__meta_kubernetes_pod_annotation_prometheus_io_scrape",)] == "true"
    web = next(doc for doc in manifests() if doc["metadata"]["name"] == "qenex-web")["spec"]["template"]
    annotations = web["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) in {p["containerPort"] for p in web["spec"]["containers"][0]["ports"]}


def test_the_image_is_multi_stage_non_root_with_a_pkcs11_module_and_a_real_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM .*$", dockerfile, flags=re.M)
    assert len(stages) >= 2
    runtime = dockerfile[dockerfile.rindex("\nFROM "):]
    assert "build-essential" not in runtime  # compilers stay in the build stage
    assert re.search(r"^USER (10001|qenex)$", runtime, flags=re.M)
    assert "softhsm2" in runtime and "QENEX_HSM_MODULE=/usr/lib/softhsm/libsofthsm2.so" in runtime
    healthcheck = re.search(r"^HEALTHCHECK .*CMD (\[.*\])$", runtime, flags=re.M)
    command = json.loads(healthcheck.group(1))
    assert command[-1] == "/app/scripts/healthcheck.py" and (ROOT / "scripts/healthcheck.py").is_file()

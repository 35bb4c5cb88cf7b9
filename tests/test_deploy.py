"""Deployment files stay true: alert rules and dashboards name exported metrics; manifests, scrape config, image."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED_DASHBOARDS = ("transaction-overview", "system-health", "security-dashboard", "compliance-dashboard")
# The seed's alerting rules, verbatim: name -> (expr, for, summary).
SEED_ALERTS = {
    "HighTransactionErrorRate": ("rate(qenex_transaction_errors_total[5m]) > 0.01", "5m",
                                 "High transaction error rate detected"),
    "FraudDetectionSpike": ("rate(qenex_fraud_detections_total[1h]) > 10", "10m", "Unusual spike in fraud detections"),
    "HighMemoryUsage": ("qenex_memory_usage_bytes / 1024 / 1024 / 1024 > 14", "5m", "Memory usage exceeds 14GB"),
}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                   "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, label names, keywords or numbers)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)  # range durations
    names = re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text)
    return {name for name in names if name.lower() not in PROMQL_KEYWORDS}


def test_metric_names_finds_metrics_and_only_metrics():
    expr = ('histogram_quantile(0.99, sum by (le, type) (rate(x_seconds_bucket{code=~"a|b"}[5m]))) '
            '/ on (instance) group_left clamp_min(y_total offset 5m, 1e-9) > bool 0.01')
    assert metric_names(expr) == {"x_seconds_bucket", "y_total"}


@pytest.fixture
def exported(db, client) -> set[str]:
    """Every series name a running app's registry exports (a histogram's _bucket/_sum/_count too)."""
    # django-prometheus registers its HTTP metrics when its middleware first runs: serve a request first.
    scrape = client.get("/health/live") and client.get("/metrics").content.decode()
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", scrape, flags=re.M):
        names.add(name)
        if kind in ("histogram", "summary"):
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_alert_rules_query_only_exported_metrics(exported):
    for rule in alert_rules():
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= exported, f"{rule['alert']}: {names - exported} not exported"


def test_the_seed_alerts_are_there_as_the_seed_writes_them_with_a_runbook():
    rules = {rule["alert"]: rule for rule in alert_rules()}
    for name, (expr, duration, summary) in SEED_ALERTS.items():
        rule = rules[name]
        assert (rule["expr"], rule["for"], rule["annotations"]["summary"]) == (expr, duration, summary)
        assert rule["annotations"]["runbook_url"] == f"docs/runbooks/{name}.md"
    for rule in rules.values():
        if "runbook_url" in rule.get("annotations", {}):
            assert (ROOT / rule["annotations"]["runbook_url"]).is_file(), rule["alert"]


def test_every_seed_dashboard_exists_and_its_panels_query_only_exported_metrics(exported):
    uids = set()
    for name in SEED_DASHBOARDS:
        dashboard = json.loads((ROOT / f"deploy/grafana/{name}.json").read_text())
        uids.add(dashboard["uid"])
        assert dashboard["panels"], name
        for panel in dashboard["panels"]:
            assert panel["targets"], (name, panel["title"])
            for target in panel["targets"]:
                names = metric_names(target["expr"])
                assert names and names <= exported, f"{name} / {panel['title']}: {names - exported} not exported"
    assert len(uids) == len(SEED_DASHBOARDS)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool (Debian: apt-get install prometheus)")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    for command in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        done = subprocess.run(["promtool", *command], cwd=ROOT / "deploy/prometheus", capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


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


# --- Schemas, segmentation, budgets and autoscaling; Docker Compose --------------------------------------------

def all_k8s_documents() -> list[dict]:
    return [doc for path in sorted((ROOT / "deploy/k8s").glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_every_manifest_validates_against_the_kubernetes_schemas():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    documents = all_k8s_documents()
    kinds = {doc["kind"] for doc in documents}
    assert {"Deployment", "Job", "Service", "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    for doc in documents:
        kubernetes_validate.validate(doc, "1.37.0", strict=True)
    # The validator does refuse a misplaced field (a pod-level setting inside a container).
    broken = json.loads(json.dumps(next(d for d in documents if d["kind"] == "Deployment")))
    broken["spec"]["template"]["spec"]["containers"][0]["terminationGracePeriodSeconds"] = 30
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.37.0", strict=True)


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def test_network_policies_deny_by_default_and_open_only_container_ports():
    documents = all_k8s_documents()
    pods = {doc["metadata"]["name"]: doc["spec"]["template"] for doc in documents if doc["kind"] == "Deployment"}
    policies = [doc for doc in documents if doc["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    for name, template in pods.items():
        labels = template["metadata"]["labels"]
        assert _selects(deny[0]["spec"]["podSelector"], labels), f"{name} is not under the default deny"
        ports = {port["containerPort"] for c in template["spec"]["containers"] for port in c.get("ports", [])}
        opened = {port["port"] for p in policies if _selects(p["spec"]["podSelector"], labels)
                  for rule in p["spec"].get("ingress", []) for port in rule.get("ports", [])}
        assert opened <= ports, f"{name}: policy opens {opened - ports}, which no container listens on"
        assert (9090 in opened) == (9090 in ports), f"{name}: the metrics port and its policy disagree"
    egress = {port["port"] for p in policies for rule in p["spec"].get("egress", []) for port in rule["ports"]}
    assert {53, 5432, 6379} <= egress


def test_budgets_and_autoscalers_fit_the_deployments():
    documents = all_k8s_documents()
    deployments = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Deployment"}
    for budget in (doc for doc in documents if doc["kind"] == "PodDisruptionBudget"):
        target = [d for d in deployments.values()
                  if _selects(budget["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert len(target) == 1, budget["metadata"]["name"]
        assert budget["spec"].get("minAvailable", 0) < target[0]["spec"]["replicas"], "the budget would block drains"
    for hpa in (doc for doc in documents if doc["kind"] == "HorizontalPodAutoscaler"):
        target = deployments[hpa["spec"]["scaleTargetRef"]["name"]]
        assert hpa["spec"]["minReplicas"] >= target["spec"]["replicas"]
        for metric in hpa["spec"]["metrics"]:
            resource = metric["resource"]["name"]
            for container in target["spec"]["template"]["spec"]["containers"]:
                assert resource in container["resources"]["requests"], "utilisation needs a request"
    assert "qenex-beat" not in {doc["spec"]["scaleTargetRef"]["name"] for doc in documents
                                if doc["kind"] == "HorizontalPodAutoscaler"}  # exactly one scheduler


COMPOSE = ROOT / "deploy/docker-compose.yml"


def test_compose_runs_each_role_from_the_dockerfile_under_main_py():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"app", "worker", "beat", "postgres", "redis", "migrate", "prometheus", "grafana"} <= set(services)
    exposed = set(re.search(r"^EXPOSE (.+)$", (ROOT / "Dockerfile").read_text(), flags=re.M).group(1).split())
    assert exposed == {"8080", "9090"}
    read = names_read_by_the_code()
    for role in ("app", "worker", "beat"):
        service = services[role]
        assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == (
            ROOT / "Dockerfile")
        processes = {"app": "web"}.get(role, role)
        assert service["command"][:4] == ["python", "main.py", "--processes", processes]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        for name in service["environment"]:
            assert name in read or name == "PROMETHEUS_MULTIPROC_DIR", f"{role}: nothing reads {name}"
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert {port.split(":")[1] for port in services["app"]["ports"]} == exposed
    url = services["app"]["environment"]["DATABASE_URL"]
    assert url.endswith("@postgres:5432/qenex") and services["postgres"]["environment"]["POSTGRES_DB"] == "qenex"


def test_compose_prometheus_scrapes_every_role_and_grafana_gets_the_seed_dashboards():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    mounts = {volume.split(":")[1]: COMPOSE.parent / volume.split(":")[0]
              for volume in services["prometheus"]["volumes"]}
    config = yaml.safe_load(mounts["/etc/prometheus/prometheus.yml"].read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {"app:9090", "worker:9090", "beat:9090"}
    assert mounts["/etc/prometheus/alerts.yml"].resolve() == ROOT / "deploy/prometheus/alerts.yml"
    grafana = {volume.split(":")[1]: (COMPOSE.parent / volume.split(":")[0]).resolve()
               for volume in services["grafana"]["volumes"]}
    provider = yaml.safe_load((grafana["/etc/grafana/provisioning"] / "dashboards/qenex.yml").read_text())
    dashboards = grafana[provider["providers"][0]["options"]["path"]]
    assert {f"{name}.json" for name in SEED_DASHBOARDS} <= {p.name for p in dashboards.glob("*.json")}
    if shutil.which("promtool"):
        done = subprocess.run(["promtool", "check", "config", mounts["/etc/prometheus/prometheus.yml"].name],
                              cwd=ROOT / "deploy/prometheus", capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

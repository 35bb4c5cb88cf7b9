"""The Prometheus exposition: one registry view for ``/metrics`` on the API port and the listener on ``metrics.port``.

Several processes (``main.py`` runs daphne, the Celery worker and its children, beat) write their counters to
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode); a scrape of any process aggregates them.
Without that directory (``manage.py serve`` alone, tests) the scrape reads this process's own registry.

The seed's system metrics (``qenex_memory_usage_bytes``, ``qenex_cpu_usage_percent``, ``qenex_disk_io_bytes``)
are read at scrape time from the processes of this instance: the process named by ``QENEX_INSTANCE_PID``
(``main.py`` sets it for its children) or this process, and all their descendants.
The seed's fraud-model metrics are honest placeholders until a fraud model exists: zero detections, no
inference observed, and no accuracy or false-positive rate (the families are exported with no samples).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import psutil
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
INSTANCE_PID_ENV = "QENEX_INSTANCE_PID"

ACTIVE_CONNECTIONS = Gauge(
    "qenex_active_connections",
    "HTTP requests in progress plus open WebSockets, summed over the live web processes",
    multiprocess_mode="livesum",
)
FRAUD_DETECTIONS_TOTAL = Counter("qenex_fraud_detections_total", "Transactions a fraud model flagged (no model yet)")
INFERENCE_DURATION = Histogram(
    "qenex_inference_duration_seconds",
    "Time for one fraud-model inference (no model yet)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)


class InstanceCollector:
    """Memory, CPU and disk I/O of this QENEX instance's process tree, read when scraped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[float, float] | None = None  # (wall time, CPU seconds) at the previous scrape

    def _processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(int(os.environ.get(INSTANCE_PID_ENV) or os.getpid()))
            return [root, *root.children(recursive=True)]
        except (psutil.Error, ValueError):
            return [psutil.Process()]

    def collect(self) -> Iterator[Metric]:
        rss = cpu_seconds = read = written = 0.0
        for process in self._processes():
            try:
                with process.oneshot():
                    rss += process.memory_info().rss
                    times = process.cpu_times()
                    cpu_seconds += times.user + times.system
                    io = process.io_counters()
                    read, written = read + io.read_bytes, written + io.write_bytes
            except (psutil.Error, AttributeError):  # gone since listed, or no I/O accounting on this platform
                continue
        yield GaugeMetricFamily("qenex_memory_usage_bytes", "Resident memory of the instance's processes (sum of RSS)",
                                value=rss)
        yield GaugeMetricFamily("qenex_cpu_usage_percent",
                                "CPU used by the instance's processes since the previous scrape, percent of one core",
                                value=self._cpu_percent(cpu_seconds))
        disk = GaugeMetricFamily("qenex_disk_io_bytes",
                                 "Bytes the instance's live processes have read from and written to storage",
                                 labels=["direction"])
        disk.add_metric(["read"], read)
        disk.add_metric(["write"], written)
        yield disk

    def _cpu_percent(self, cpu_seconds: float) -> float:
        now = time.monotonic()
        with self._lock:
            last, self._last = self._last, (now, cpu_seconds)
        if last is None:
            try:
                elapsed = time.time() - psutil.Process().create_time()
            except psutil.Error:
                return 0.0
            return 100.0 * cpu_seconds / elapsed if elapsed > 0 else 0.0
        elapsed = now - last[0]
        # A child that exited takes its CPU seconds with it; never report a negative use.
        return max(0.0, 100.0 * (cpu_seconds - last[1]) / elapsed) if elapsed > 0 else 0.0


class FraudModelCollector:
    """The seed's model-quality gauges. No fraud model is deployed, so they have no value (not a made-up zero)."""

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("qenex_model_accuracy", "Accuracy of the fraud model on labelled outcomes (0-1)",
                                labels=["model"])
        yield GaugeMetricFamily("qenex_false_positive_rate",
                                "Share of the fraud model's flags that were cleared as legitimate (0-1)",
                                labels=["model"])


class CeleryQueueCollector:
    """Tasks waiting in the broker's default Celery queue (a Redis list), read when scraped; 1 s at most."""

    def collect(self) -> Iterator[Metric]:
        from django.conf import settings

        queue = GaugeMetricFamily("qenex_celery_queue_length", "Tasks waiting in the Celery queue (Redis broker)",
                                  labels=["queue"])
        if settings.REDIS_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                import redis

                client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
                name = settings.CELERY_TASK_DEFAULT_QUEUE
                queue.add_metric([name], client.llen(name))
            except Exception:  # noqa: BLE001 - a broker that is down leaves the gauge empty; status reports it
                logger.debug("could not read the Celery queue length", exc_info=True)
        yield queue


_instance = InstanceCollector()
_fraud_model = FraudModelCollector()
_celery_queue = CeleryQueueCollector()
# Collectors other apps add (in their AppConfig.ready()) for figures read when scraped, e.g. open payments.
_scrape_collectors: list[Any] = []


def register_scrape_collector(collector: Any) -> None:
    """Add an object with ``collect() -> Iterable[Metric]`` to every scrape (once)."""
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


class Exposition:
    """What a scrape returns: every process's metrics (or this one's), plus the scrape-time collectors."""

    def collect(self) -> Iterable[Metric]:
        path = os.environ.get(MULTIPROC_ENV)
        source = MultiProcessCollector(None, path=path) if path else REGISTRY
        yield from source.collect()
        yield from _instance.collect()
        yield from _fraud_model.collect()
        yield from _celery_queue.collect()
        for collector in _scrape_collectors:
            yield from collector.collect()


def exposition() -> bytes:
    return generate_latest(Exposition())


def scrape_refusal(authorization: str) -> tuple[int, str, str] | None:
    """Return (status, code, message) when a scrape with this Authorization header must be refused, else None.

    With ``QENEX_METRICS_TOKEN`` set the scrape must carry ``Bearer <token>``. Without a token, production does
    not serve the metrics at all (404: they show the posted volume); development and test serve them openly.
    ``metrics.enabled=false`` turns them off everywhere.
    """
    from django.conf import settings

    if not settings.QENEX["metrics"]["enabled"]:
        return 404, "not_found", "no such endpoint"
    token = settings.QENEX_METRICS_TOKEN
    if not token:
        return (404, "not_found", "no such endpoint") if settings.QENEX_METRICS_REQUIRE_TOKEN else None
    scheme, _, credentials = authorization.partition(" ")
    given = credentials.strip() if scheme.lower() == "bearer" else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        return 401, "not_authenticated", "the metrics need 'Authorization: Bearer <scrape token>'"
    return None


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "field": None}}).encode()


def _listener_app(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
    if environ.get("PATH_INFO") not in ("/metrics", "/"):
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [error_body("not_found", "no such endpoint")]
    refusal = scrape_refusal(environ.get("HTTP_AUTHORIZATION", ""))
    if refusal is not None:
        status, code, message = refusal
        headers = [("Content-Type", "application/json")]
        if status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
        start_response(f"{status} {'Unauthorized' if status == 401 else 'Not Found'}", headers)
        return [error_body(code, message)]
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [exposition()]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # a scrape every 15 s would drown the log


def start_listener(host: str, port: int) -> ThreadingWSGIServer:
    """Serve the exposition at ``http://host:port/metrics`` from a daemon thread; ``shutdown()`` stops it."""
    server = make_server(host, port, _listener_app, ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="qenex-metrics", daemon=True).start()
    logger.info("metrics on http://%s:%s/metrics", host, port)
    return server


def count_connections(app: Callable) -> Callable:
    """ASGI wrapper keeping ``qenex_active_connections``: an HTTP request or a WebSocket while it is open."""

    async def counted(scope: dict, receive: Callable, send: Callable) -> Any:
        if scope["type"] not in ("http", "websocket"):
            return await app(scope, receive, send)
        ACTIVE_CONNECTIONS.inc()
        try:
            return await app(scope, receive, send)
        finally:
            ACTIVE_CONNECTIONS.dec()

    return counted

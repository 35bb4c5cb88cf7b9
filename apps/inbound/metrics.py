"""Inbound metrics, recorded in the services after COMMIT (a rolled-back item never happened)."""

from prometheus_client import Counter, Gauge

INBOUND_ITEMS_TOTAL = Counter(
    "qenex_inbound_items_total",
    "Inbound items received, by rail, kind (transfer, return, change, recall) and outcome",
    ["rail", "kind", "outcome"],
)
INBOUND_EXCEPTIONS_RESOLVED_TOTAL = Counter(
    "qenex_inbound_exceptions_resolved_total", "Exception items resolved, by how (applied, returned)", ["resolution"]
)
INBOUND_EXCEPTIONS_OPEN = Gauge(
    "qenex_inbound_exceptions_open", "Exception items waiting in suspense, as beat last counted them"
)

"""Where monitoring plugs in: after a posting commits (the ledger's subscriber hook) and on each outbound payment.

Both only schedule work: the evaluation runs in a Celery task (inline when Celery is eager), never inside the
posting's or the payment's transaction. With monitoring off, or no active real-time rule for the kind of subject,
they return at once without a query (the active rule kinds are cached for a few seconds per process). A failure to
schedule is logged, never raised: the money has moved already and the periodic sweep catches up.
"""

from __future__ import annotations

import logging

from django.db import transaction

from apps.core import checks

from .movements import MONITORED_TYPES
from .services import active_real_time_kinds, monitoring_enabled

logger = logging.getLogger("qenex.compliance.monitoring")

PAYMENT_CHECK_NAME = "compliance.aml_monitoring"


def on_entries_posted(entries) -> None:
    """Ledger subscriber (``apps.ledger.events.subscribe``): called after COMMIT with what one transaction posted."""
    ids = [e.public_id for e in entries if e.entry_type in MONITORED_TYPES]
    if not ids or not monitoring_enabled():
        return
    try:
        posting_kinds, _ = active_real_time_kinds()
        if not posting_kinds:
            return
        from ..tasks import monitor_transactions

        monitor_transactions.delay(transaction_ids=ids)
    except Exception:  # noqa: BLE001 - the posting has committed; the sweep evaluates what this missed
        logger.warning("could not schedule AML monitoring of %s", ids[:5], exc_info=True)


def payment_monitoring_check(payment) -> checks.CheckResult:
    """Payment check (kind ``payment``): schedule the payment rules after the order commits; always passes."""
    if not monitoring_enabled():
        return checks.CheckResult.passed()
    try:
        _, payment_kinds = active_real_time_kinds()
    except Exception:  # noqa: BLE001
        logger.warning("could not read the AML rules", exc_info=True)
        return checks.CheckResult.passed()
    if payment_kinds:
        public_id = payment.public_id

        def schedule() -> None:
            try:
                from ..tasks import monitor_payment

                monitor_payment.delay(payment_id=public_id)
            except Exception:  # noqa: BLE001
                logger.warning("could not schedule AML monitoring of payment %s", public_id, exc_info=True)

        transaction.on_commit(schedule)
    return checks.CheckResult.passed(aml_monitoring="scheduled" if payment_kinds else "no active rule")


def register() -> None:
    from apps.ledger import events

    events.subscribe(on_entries_posted)
    checks.register("payment", PAYMENT_CHECK_NAME, payment_monitoring_check)

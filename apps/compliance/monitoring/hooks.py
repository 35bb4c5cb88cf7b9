"""Where monitoring plugs in: after a posting commits (the ledger's subscriber hook) and on each outbound payment.

Postings: the hook only schedules work (a Celery task, inline when Celery is eager), never inside the posting's
transaction; a failure to schedule is logged, never raised: the money has moved already and the sweep catches up.
Payments: the real-time payment rules run inside the gateway's check (reads only), so that a hit can still stop
the money; the alerts are written after the order commits. With monitoring off, or no active real-time rule for the
kind of subject, both return at once without a query (the active rule kinds are cached for a few seconds).
"""

from __future__ import annotations

import logging

from apps.core import checks
from apps.core.db import on_commit_robust

from .movements import MONITORED_TYPES
from .services import active_real_time_kinds, monitoring_enabled, payment_alerts_record, payment_hits

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


HOLD_CODE = "aml_alert"


def payment_monitoring_check(payment) -> checks.CheckResult:
    """Payment check (kind ``payment``): the real-time payment rules, evaluated on the order itself, inside its
    transaction (reads only). A hit of a rule that holds payments (``rules.holds_payment``) holds it: the gateway
    puts it in HELD with its amount and fee reserved, the same hold a sanctions hit gets, until an officer decides
    the alert (``cases.services.alert_decide`` or the case decision; ``payment_holds`` lets it go). Every hit
    becomes an alert after the order commits, in the customer's case; a failure there is logged, never raised.
    """
    try:
        hits = payment_hits(payment)
    except Exception:  # noqa: BLE001 - reading the rules failed: the payment is not stopped by monitoring
        logger.warning("could not evaluate the AML payment rules on %s", payment.public_id, exc_info=True)
        return checks.CheckResult.passed()
    if not hits:
        return checks.CheckResult.passed()
    holding = [h for h in hits if h.holds]
    on_commit_robust(payment_alerts_record, payment_id=payment.public_id, hits=hits, held=bool(holding))
    if not holding:
        return checks.CheckResult.passed(aml_alerts=[h.version.rule.code for h in hits])
    # The finding's summary names amounts and countries, never a party's name (the reason is stored in clear).
    reason = "AML monitoring: " + "; ".join(
        f"{h.version.rule.code} v{h.version.version}: {h.finding.summary}" for h in holding
    )
    return checks.CheckResult.hold(reason, code=HOLD_CODE, rules=[h.version.rule.code for h in holding])


def register() -> None:
    from apps.ledger import events

    events.subscribe(on_entries_posted)
    checks.register("payment", PAYMENT_CHECK_NAME, payment_monitoring_check)

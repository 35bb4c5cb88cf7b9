"""What happens after a posting commits: metrics, live balance updates and subscribers. Never inside the transaction.

Other apps subscribe (``subscribe(fn)``, in their AppConfig.ready()) to be told, after COMMIT, what one transaction
posted: ``fn(entries: list[Posted])``. A subscriber must be cheap (schedule work, do not do it) and never raise; an
exception is logged and the other subscribers still run. AML monitoring subscribes (apps.compliance.monitoring).

A commit hands its entries to the publisher in one call (one ``on_commit`` callback per transaction, however
many entries a batch posted). The publisher is one daemon thread per process with its own event loop: it
drains whatever has queued up and sends it in one pass, so a posting never waits for Redis and never makes an
event-loop hop of its own. The in-memory channel layer (development without Redis) is bound to the server's
loop, so there the updates are sent inline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.db import transaction

from apps.core.money import from_minor_units

from .metrics import TRANSACTION_AMOUNT_SUM, TRANSACTIONS_OVER_AML_THRESHOLD_TOTAL, TRANSACTIONS_TOTAL

logger = logging.getLogger(__name__)

Update = tuple[str, str, str, int]  # (transaction public id, account public id, currency, balance in minor units)


@dataclass(frozen=True)
class Posted:
    public_id: str
    entry_type: str
    currency: str
    amount_minor: int
    balances: list[tuple[str, str, int]]  # (account public id, currency, balance after)


class _LivePublisher:
    """Sends balance updates from a queue, in the background, in batches."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[list[Update]] = queue.SimpleQueue()
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # a forked worker needs its own thread (and queue)
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._run, name="qenex-live-updates", daemon=True).start()
                self._pid = os.getpid()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        pending = self._queue
        while True:
            batch = pending.get()
            while True:  # everything that queued up meanwhile goes in the same pass
                try:
                    batch = batch + pending.get_nowait()
                except queue.Empty:
                    break
            try:
                loop.run_until_complete(_send_balance_updates(batch))
            except Exception:  # noqa: BLE001 - a live-update failure must never stop the publisher
                logger.warning("could not publish %d balance update(s)", len(batch), exc_info=True)

    def publish(self, updates: list[Update]) -> None:
        from django.conf import settings

        in_memory = "RedisChannelLayer" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if in_memory:
            # The in-memory layer reaches this process's sockets only: with nobody watching these accounts
            # here (a worker, a script) there is nothing to send, and no event loop to start for it.
            updates = [u for u in updates if _watched_here(u[1])]
            if not updates:
                return
        if in_memory and not _loop_running_here():
            async_to_sync(_send_balance_updates)(updates)
            return
        self._ensure_thread()
        self._queue.put(updates)


def _watched_here(account_public_id: str) -> bool:
    """True when a socket of this process listens to the account (in-memory channel layer only)."""
    from channels.layers import get_channel_layer

    groups = getattr(get_channel_layer(), "groups", None)
    return groups is None or bool(groups.get(balance_group(account_public_id)))


def _loop_running_here() -> bool:
    """True when this thread already runs an event loop (async_to_sync cannot be used from it)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_publisher = _LivePublisher()
_subscribers: list = []


def subscribe(subscriber) -> None:
    """Call ``subscriber(entries)`` after each commit that posted entries (once per function, in subscription order)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def unsubscribe(subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def _notify_subscribers(entries: list[Posted]) -> None:
    for subscriber in list(_subscribers):
        try:
            subscriber(entries)
        except Exception:  # noqa: BLE001 - a subscriber's failure must never affect a committed posting
            logger.warning("posting subscriber %r failed", subscriber, exc_info=True)


def balance_group(account_public_id: str) -> str:
    return f"balance.{account_public_id}"


def entries_posted(entries: list[Posted]) -> None:
    """Schedule the after-commit effects of the entries one transaction posted."""

    def publish() -> None:
        from django.conf import settings

        updates: list[Update] = []
        aml_threshold = settings.QENEX["compliance"]["aml_threshold"]
        for entry in entries:
            amount = from_minor_units(entry.amount_minor, entry.currency)
            TRANSACTIONS_TOTAL.labels(entry.entry_type, entry.currency).inc()
            TRANSACTION_AMOUNT_SUM.labels(entry.entry_type, entry.currency).inc(float(amount))
            if amount >= aml_threshold:
                TRANSACTIONS_OVER_AML_THRESHOLD_TOTAL.labels(entry.entry_type, entry.currency).inc()
            updates += [(entry.public_id, account, currency, minor) for account, currency, minor in entry.balances]
        _notify_subscribers(entries)
        if not updates:
            return
        try:
            _publisher.publish(updates)
        except Exception:  # noqa: BLE001 - a live-update failure must never affect a committed posting
            logger.warning("could not publish balance updates", exc_info=True)

    transaction.on_commit(publish)


async def _send_balance_updates(updates: list[Update]) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    for public_id, account_id, currency, balance_minor in updates:
        await layer.group_send(
            balance_group(account_id),
            {
                "type": "balance.update",
                "account": account_id,
                "transaction": public_id,
                "balance": str(from_minor_units(balance_minor, currency)),
                "currency": currency,
            },
        )

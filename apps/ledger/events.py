"""What happens after a posting commits: metrics and live balance updates. Never inside the transaction."""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from asgiref.sync import async_to_sync
from django.db import transaction

from apps.core.money import from_minor_units

from .metrics import TRANSACTION_AMOUNT_SUM, TRANSACTIONS_OVER_AML_THRESHOLD_TOTAL, TRANSACTIONS_TOTAL

logger = logging.getLogger(__name__)


class _LivePublisher:
    """Runs balance updates on one long-lived event loop in a daemon thread, fire-and-forget.

    A posting never waits for Redis, and the channel layer keeps one connection pool instead of opening
    one per posting. The in-memory layer (development without Redis) is bound to the server's own loop,
    so there the update is sent inline.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker needs its own thread
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="qenex-live-updates", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def publish(self, make_coro) -> None:
        """Run ``make_coro()``: inline for the in-memory layer, else (or inside a running loop) in the background."""
        from django.conf import settings

        in_memory = "RedisChannelLayer" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if in_memory and not _loop_running_here():

            async def run_inline() -> None:
                await make_coro()

            async_to_sync(run_inline)()
            return
        asyncio.run_coroutine_threadsafe(make_coro(), self._ensure_loop())


def _loop_running_here() -> bool:
    """True when this thread already runs an event loop (async_to_sync cannot be used from it)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_publisher = _LivePublisher()


def balance_group(account_public_id: str) -> str:
    return f"balance.{account_public_id}"


def entry_posted(entry, balances: list[tuple[str, str, int]]) -> None:
    """Schedule the after-commit effects of a posted entry."""
    entry_type, currency, amount_minor, public_id = (
        entry.entry_type,
        entry.currency,
        entry.amount_minor,
        entry.public_id,
    )

    def publish() -> None:
        from django.conf import settings

        amount = from_minor_units(amount_minor, currency)
        TRANSACTIONS_TOTAL.labels(entry_type, currency).inc()
        TRANSACTION_AMOUNT_SUM.labels(entry_type, currency).inc(float(amount))
        if amount >= settings.QENEX["compliance"]["aml_threshold"]:
            TRANSACTIONS_OVER_AML_THRESHOLD_TOTAL.labels(entry_type, currency).inc()
        try:
            _publisher.publish(lambda: _send_balance_updates(public_id, balances))
        except Exception:  # noqa: BLE001 - a live-update failure must never affect a committed posting
            logger.warning("could not publish balance update for %s", public_id, exc_info=True)

    transaction.on_commit(publish)


async def _send_balance_updates(public_id: str, balances: list[tuple[str, str, int]]) -> None:
    """One event-loop hop per entry, however many accounts it touched."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    for account_id, acc_currency, balance_minor in balances:
        await layer.group_send(
            balance_group(account_id),
            {
                "type": "balance.update",
                "account": account_id,
                "transaction": public_id,
                "balance": str(from_minor_units(balance_minor, acc_currency)),
                "currency": acc_currency,
            },
        )

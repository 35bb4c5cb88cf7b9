"""What happens after a posting commits: metrics and live balance updates. Never inside the transaction."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.db import transaction

from apps.core.money import from_minor_units

from .metrics import TRANSACTION_AMOUNT_SUM, TRANSACTIONS_TOTAL

logger = logging.getLogger(__name__)


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
        TRANSACTIONS_TOTAL.labels(entry_type, currency).inc()
        TRANSACTION_AMOUNT_SUM.labels(entry_type, currency).inc(float(from_minor_units(amount_minor, currency)))
        try:
            from channels.layers import get_channel_layer

            layer = get_channel_layer()
            if layer is None:
                return
            for account_id, acc_currency, balance_minor in balances:
                async_to_sync(layer.group_send)(
                    balance_group(account_id),
                    {
                        "type": "balance.update",
                        "account": account_id,
                        "transaction": public_id,
                        "balance": str(from_minor_units(balance_minor, acc_currency)),
                        "currency": acc_currency,
                    },
                )
        except Exception:  # noqa: BLE001 - a live-update failure must never affect a committed posting
            logger.warning("could not publish balance update for %s", public_id, exc_info=True)

    transaction.on_commit(publish)

"""The async Python SDK: the seed's ``FinancialKernel`` over the same services the API uses.

    kernel = FinancialKernel({"database": {"host": "localhost", "port": 5432, ...}})
    await kernel.initialize()            # sets up Django and applies migrations
    account = await kernel.create_account(owner_id="u1", account_type="CHECKING", currency="USD",
                                          initial_balance=Decimal("100.00"))
    txn_id = await kernel.process_transaction(TransactionType.TRANSFER, from_account=..., to_account=...,
                                              amount=Decimal("5.00"), currency="USD")
    await kernel.get_account_balance(account.id)   # Decimal("95.00")
    await kernel.shutdown()

The config dict has the shape of ``config.json`` and is validated the same way; ``QENEX_*`` environment
variables and ``DATABASE_URL`` still override it. Without a ``database`` section the kernel uses the
embedded SQLite database. Every call runs in Django's thread-sensitive executor, so the ORM is never
touched from the event loop.
"""

from __future__ import annotations

import enum
import logging
import os
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async

from qenex import config as qenex_config

logger = logging.getLogger(__name__)

# config.json database keys -> environment variables read by qenex.settings
_DB_ENV = {
    "host": "QENEX_DB_HOST",
    "port": "QENEX_DB_PORT",
    "user": "QENEX_DB_USER",
    "password": "QENEX_DB_PASSWORD",
    "database": "QENEX_DB_NAME",
    "pool_size": "QENEX_DB_POOL_SIZE",
    "redis_host": "QENEX_REDIS_HOST",
    "redis_port": "QENEX_REDIS_PORT",
}


class TransactionType(enum.StrEnum):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    TRANSFER = "TRANSFER"
    FEE = "FEE"
    REVERSAL = "REVERSAL"


@dataclass(frozen=True)
class Account:
    id: str
    owner_id: str
    account_type: str
    currency: str
    status: str


class KernelNotInitialized(RuntimeError):
    """A kernel method was called before ``await kernel.initialize()``."""


class FinancialKernel:
    def __init__(self, config: dict[str, Any] | None = None):
        self.config = dict(config or {})
        qenex_config.validate(self.config, source="FinancialKernel config")
        self._ready = False

    async def initialize(self, *, migrate: bool = True) -> None:
        """Configure Django from the config (unless already configured) and bring the schema up to date."""
        for key, value in self.config.get("database", {}).items():
            if key in _DB_ENV:
                os.environ.setdefault(_DB_ENV[key], str(value))
        os.environ.setdefault("QENEX_ENV", "embedded")
        # The seed's quickstart opens accounts for owners no customer record names. An embedded kernel is the bank's
        # own code on its own database: it follows compliance.kyc_required when its config gives it, and otherwise
        # runs without the KYC gate (said in the log); a deployed server keeps the default (on).
        kyc = self.config.get("compliance", {}).get("kyc_required")
        os.environ.setdefault("QENEX_KYC_REQUIRED", "true" if kyc else "false")
        if kyc is None:
            logger.warning("FinancialKernel: compliance.kyc_required not in the config: the KYC gate is off here")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
        import django

        await sync_to_async(django.setup, thread_sensitive=True)()
        if migrate:
            from django.core.management import call_command

            await sync_to_async(call_command, thread_sensitive=True)("migrate", verbosity=0)
        self._ready = True

    def _check_ready(self) -> None:
        if not self._ready:
            raise KernelNotInitialized("call 'await kernel.initialize()' first")

    async def create_account(
        self,
        owner_id: str,
        account_type: str,
        currency: str,
        initial_balance: Decimal | str | int | None = None,
        *,
        name: str = "",
        idempotency_key: str | None = None,
    ) -> Account:
        """Open an account, optionally with an opening deposit; return it (``.id`` is its public id)."""
        self._check_ready()
        from apps.ledger.services import account_open

        account = await sync_to_async(account_open, thread_sensitive=True)(
            owner_id=owner_id,
            account_type=account_type,
            currency=currency,
            name=name,
            initial_balance=initial_balance,
            idempotency_key=idempotency_key,
            actor="sdk",
        )
        return Account(account.public_id, account.owner_id, account.account_type, account.currency, account.status)

    async def process_transaction(
        self,
        transaction_type: TransactionType | str,
        *,
        from_account: str | None = None,
        to_account: str | None = None,
        amount: Decimal | str | int | None = None,
        currency: str | None = None,
        metadata: dict[str, Any] | None = None,
        description: str | None = None,
        original_transaction: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Post a transaction and return its id. Pass ``idempotency_key`` to make a retry safe."""
        self._check_ready()
        from apps.core.errors import InvalidInput
        from apps.ledger import services
        from apps.ledger.metrics import posting_observed

        kind = TransactionType(transaction_type)
        metadata = dict(metadata or {})
        description = description if description is not None else str(metadata.get("description", ""))
        key = f"sdk:{idempotency_key or uuid.uuid4()}"

        def run():
            if kind is TransactionType.REVERSAL:
                if not original_transaction:
                    raise InvalidInput("original_transaction is required for a REVERSAL", field="original_transaction")
                return services.post_reversal(
                    transaction_id=original_transaction, description=description, idempotency_key=key, actor="sdk"
                )
            return services.post_by_type(
                entry_type=kind.value,
                from_account=from_account,
                to_account=to_account,
                amount=amount,
                currency=currency,
                description=description,
                metadata=metadata,
                idempotency_key=key,
                actor="sdk",
            )

        result = await sync_to_async(posting_observed, thread_sensitive=True)(kind.value, run)
        return result.entry.public_id

    async def get_account_balance(self, account_id: str) -> Decimal:
        """Return the ledger balance of an account as a Decimal with the currency's decimal places."""
        self._check_ready()
        from apps.accounts.selectors import account_get
        from apps.core.money import from_minor_units
        from apps.ledger.selectors import balance_get

        def read() -> Decimal:
            account = account_get(public_id=account_id)
            return from_minor_units(balance_get(account=account).ledger_minor, account.currency)

        return await sync_to_async(read, thread_sensitive=True)()

    async def shutdown(self) -> None:
        """Close database connections. The kernel can be initialized again afterwards."""
        if self._ready:
            from django.db import connections

            await sync_to_async(connections.close_all, thread_sensitive=True)()
        self._ready = False

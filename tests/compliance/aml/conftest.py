"""Helpers for the AML tests: rules switched on one at a time, accounts, and postings whose after-commit hooks run."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from apps.compliance.aml_models import AmlAlert, MonitoringRule
from apps.compliance.monitoring.services import rule_save
from apps.ledger.services import account_open, post_deposit, post_transfer, post_withdrawal

_owners = itertools.count(1)


def new_owner() -> str:
    return f"cust-aml-{next(_owners)}"


def open_account(owner_id: str, currency: str = "USD", name: str = "Jane Doe"):
    return account_open(owner_id=owner_id, account_type="CHECKING", currency=currency, name=name)


def alerts_of(owner_id: str, kind: str | None = None) -> list[AmlAlert]:
    found = AmlAlert.objects.filter(owner_id=owner_id).select_related("rule_version", "case").order_by("id")
    return list(found.filter(kind=kind) if kind else found)


@pytest.fixture
def rules(db):
    """Switch every rule off (through the service, as an officer would); ``rules(kind, **params)`` turns one on."""
    for rule in MonitoringRule.objects.filter(active=True):
        rule_save(
            code=rule.code,
            name=rule.name,
            kind=rule.kind,
            schedule=rule.schedule,
            parameters=rule.parameters,
            severity=rule.severity,
            active=False,
        )

    def activate(
        kind: str, *, code: str | None = None, schedule: str = "real_time", severity: int = 2, **parameters: Any
    ) -> MonitoringRule:
        return rule_save(
            code=code or f"test-{kind.replace('_', '-')}",
            name=f"test {kind}",
            kind=kind,
            schedule=schedule,
            severity=severity,
            parameters=parameters,
            active=True,
        )

    return activate


@pytest.fixture
def ledger(django_capture_on_commit_callbacks):
    """Post through the ledger services; the after-commit callbacks (the monitoring hook) run as on a real commit."""

    class Ledger:
        def deposit(self, account, amount: str):
            with django_capture_on_commit_callbacks(execute=True):
                return post_deposit(to_account=account.public_id, amount=amount, currency=account.currency).entry

        def withdraw(self, account, amount: str):
            with django_capture_on_commit_callbacks(execute=True):
                return post_withdrawal(from_account=account.public_id, amount=amount, currency=account.currency).entry

        def transfer(self, source, target, amount: str):
            with django_capture_on_commit_callbacks(execute=True):
                return post_transfer(
                    from_account=source.public_id, to_account=target.public_id, amount=amount, currency=source.currency
                ).entry

    return Ledger()

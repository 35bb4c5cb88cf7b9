"""``manage.py restore_check`` on the test database: passes on a ledger moved through its services, fails on
a tampered cached balance; ``manage.py backup`` refuses without a key and changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.continuity.selectors import ledger_consistency
from apps.ledger.services import post_transfer
from qenex.db_routers import PRIMARY, PrimaryReplicaRouter, read_alias
from tests.factories import funded_account

pytestmark = pytest.mark.django_db


def _ledger() -> tuple:
    a = funded_account("100.00", owner_id="rc-a")
    b = funded_account("20.00", owner_id="rc-b")
    post_transfer(from_account=a.public_id, to_account=b.public_id, amount="12.34", currency="USD")
    return a, b


def test_restore_check_passes_on_a_ledger_moved_through_its_services(on_postgresql, capsys):
    _ledger()
    call_command("restore_check")
    out = capsys.readouterr().out
    assert "ledger consistent" in out and "audit trail intact" in out


def test_restore_check_fails_and_names_the_account_when_a_cached_balance_differs(on_postgresql, capsys):
    a, _ = _ledger()
    with connection.cursor() as cursor:  # what a torn restore could leave: a balance row out of step
        cursor.execute("UPDATE ledger_accountbalance SET ledger_minor = ledger_minor + 1 WHERE account_id = %s", [a.pk])
    report = ledger_consistency()
    assert set(report.violations) == {"currency_sum_not_zero", "cached_balance_not_sum_of_postings"}
    assert report.violations["cached_balance_not_sum_of_postings"][0][0] == a.pk
    with pytest.raises(SystemExit) as exit_:
        call_command("restore_check")
    assert exit_.value.code == 1
    assert "LEDGER INCONSISTENT" in capsys.readouterr().out


def test_backup_without_a_key_refuses_and_writes_nothing(on_postgresql, tmp_path, monkeypatch):
    monkeypatch.delenv("QENEX_BACKUP_KEY_FILE", raising=False)
    monkeypatch.delenv("QENEX_BACKUP_KEY", raising=False)
    with pytest.raises(CommandError, match="QENEX_BACKUP_KEY"):
        call_command("backup", "--dest", str(tmp_path / "b"))
    monkeypatch.setenv("QENEX_BACKUP_KEY", "too-short")
    with pytest.raises(CommandError, match="at least 32"):
        call_command("backup", "--dest", str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_without_a_replica_every_read_and_write_uses_the_primary():
    router = PrimaryReplicaRouter()
    assert read_alias() == PRIMARY
    assert router.db_for_write(object) == PRIMARY
    assert router.allow_migrate("replica", "ledger") is False and router.allow_migrate(PRIMARY, "ledger") is True


@pytest.mark.django_db(transaction=True)  # outside a test transaction, as a request runs
def test_read_alias_pins_to_the_primary_inside_a_transaction_and_after_a_write(on_postgresql, monkeypatch):
    """The routing rule alone (the replica itself: test_replica.py): a replica is declared, nothing reads it."""
    from django.db import transaction

    from qenex import db_routers

    monkeypatch.setattr(db_routers, "replica_configured", lambda: True)
    with db_routers.primary_pinning():
        assert read_alias() == "replica"
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert read_alias() == "replica"  # a read does not pin
        with transaction.atomic():
            assert read_alias() == PRIMARY  # a read inside a transaction belongs to it
        funded_account("1.00", owner_id="pin")  # a write through the services
        assert read_alias() == PRIMARY and db_routers.pinned_to_primary()
    assert read_alias() == "replica"  # the next unit of work starts unpinned

"""The data migration encrypts names already in the table, indexes them, and is reversible."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.accounts.models import Account
from apps.security.envelope import is_envelope_text
from apps.security.selectors import blind_index_filter

BEFORE = [("accounts", "0001_initial")]
ENCRYPTED = ("accounts", "0002_encrypt_account_name")


def _migrate(targets=None):
    """Migrate to ``targets``; by default to the latest migration of every app (the suite's schema)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _raw_names() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT public_id, name FROM accounts_account ORDER BY id")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_existing_plaintext_names_are_encrypted_by_the_migration_and_decrypted_by_its_reverse(software_kek):
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            for public_id, name in [("acc_m1", "Alice Smith"), ("acc_m2", ""), ("acc_m3", "Zoë Müller")]:
                cursor.execute(
                    "INSERT INTO accounts_account (public_id, owner_id, account_type, currency, status, name, "
                    "overdraft_limit_minor, request_fingerprint, created_at, updated_at) "
                    "VALUES (%s, 'cust', 'CHECKING', 'USD', 'ACTIVE', %s, 0, '', now(), now())",
                    [public_id, name],
                )
        _migrate([ENCRYPTED])
        raw = _raw_names()
        assert is_envelope_text(raw["acc_m1"]) and is_envelope_text(raw["acc_m3"]) and raw["acc_m2"] == ""
        assert "Alice" not in raw["acc_m1"]
        assert Account.objects.get(public_id="acc_m1").name == "Alice Smith"
        assert Account.objects.get(public_id="acc_m3").name == "Zoë Müller"
        found = blind_index_filter(queryset=Account.objects.all(), field_name="name", value="zoë müller")
        assert [a.public_id for a in found] == ["acc_m3"]

        _migrate(BEFORE)
        assert _raw_names() == {"acc_m1": "Alice Smith", "acc_m2": "", "acc_m3": "Zoë Müller"}
    finally:
        _migrate()
        connection.cursor().execute("DELETE FROM accounts_account WHERE public_id LIKE 'acc_m%%'")

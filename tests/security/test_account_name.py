"""Account.name is PII: encrypted at rest, bound to its row, readable as before, searchable by blind index."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from apps.accounts.models import Account
from apps.ledger.services import account_open
from apps.security.blind_index import blind_index, normalise
from apps.security.envelope import is_envelope_text
from apps.security.errors import DecryptionFailed, EncryptedFieldMisuse, MalformedCiphertext
from apps.security.fields import Ciphertext
from apps.security.selectors import blind_index_filter
from tests.conftest import make_client


def _raw(account: Account, column: str = "name") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_account WHERE id = %s", [account.pk])  # noqa: S608
        return cursor.fetchone()[0]


def _open(name: str, owner: str = "cust-1") -> Account:
    return account_open(owner_id=owner, account_type="CHECKING", currency="USD", name=name)


@pytest.fixture(params=["software", "hsm"])
def kek(request):
    """Run the test with the development software KEK and with the SoftHSM token."""
    return request.getfixturevalue("software_kek" if request.param == "software" else "hsm")


def test_name_is_stored_encrypted_and_reads_back_as_plaintext(kek):
    account = _open("Alice Smith")
    stored = _raw(account)
    assert is_envelope_text(stored) and "Alice" not in stored and "Smith" not in stored
    assert account.name == "Alice Smith"
    assert Account.objects.get(pk=account.pk).name == "Alice Smith"
    assert _raw(account, "owner_id") == "cust-1"  # the bank's customer reference stays plain


def test_api_returns_the_plaintext_name_to_an_authorised_client(software_kek):
    api = make_client(["accounts:read", "accounts:write"])
    created = api.post(
        "/api/v1/accounts",
        {"owner_id": "cust-9", "account_type": "SAVINGS", "currency": "EUR", "name": "Émile Zola"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Émile Zola"
    fetched = api.get(f"/api/v1/accounts/{created.json()['id']}")
    assert fetched.json()["name"] == "Émile Zola"
    assert "Zola" not in _raw(Account.objects.get(public_id=created.json()["id"]))


def test_blind_index_finds_an_exact_name_without_decrypting(kek):
    alice = _open("Alice  Smith")
    _open("Alice Smithson", owner="cust-2")
    _open("", owner="cust-3")
    found = blind_index_filter(queryset=Account.objects.all(), field_name="name", value="  alice SMITH ")
    assert list(found.values_list("pk", flat=True)) == [alice.pk]
    assert alice.name_bidx == blind_index(value="Alice Smith", purpose="accounts.account.name")
    assert not blind_index_filter(queryset=Account.objects.all(), field_name="name", value="Alice").exists()
    assert not blind_index_filter(queryset=Account.objects.all(), field_name="name", value="").exists()


def test_blind_index_follows_a_changed_name(software_kek):
    account = _open("Alice Smith")
    account.name = "Alice Jones"
    account.save()
    assert blind_index_filter(queryset=Account.objects.all(), field_name="name", value="alice jones").get() == account
    assert not blind_index_filter(queryset=Account.objects.all(), field_name="name", value="alice smith").exists()


def test_normalisation():
    assert normalise("  Ａlice\tSMITH ") == "alice smith"  # NFKC folds the full-width letter
    assert normalise("STRASSE") == normalise("straße")


def test_admin_search_by_exact_name_uses_the_blind_index(software_kek, admin_user):
    alice = _open("Alice Smith")
    _open("Bob Brown", owner="cust-2")
    model_admin = site._registry[Account]
    request = RequestFactory().get("/admin/accounts/account/", {"q": "alice smith"})
    request.user = admin_user
    results, _ = model_admin.get_search_results(request, Account.objects.all(), "alice smith")
    assert list(results) == [alice]
    results, _ = model_admin.get_search_results(request, Account.objects.all(), "cust-2")
    assert [a.owner_id for a in results] == ["cust-2"]


def test_ciphertext_swapped_between_rows_is_refused(kek):
    alice = _open("Alice Smith")
    bob = _open("Bob Brown", owner="cust-2")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_account SET name = %s WHERE id = %s", [_raw(alice), bob.pk])
    with pytest.raises(DecryptionFailed, match=f"row {bob.public_id}"):
        Account.objects.get(pk=bob.pk).name  # noqa: B018
    assert Account.objects.get(pk=alice.pk).name == "Alice Smith"


def test_tampered_stored_name_is_refused(software_kek):
    account = _open("Alice Smith")
    stored = _raw(account)
    flipped = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_account SET name = %s WHERE id = %s", [flipped, account.pk])
    with pytest.raises((DecryptionFailed, MalformedCiphertext)):
        Account.objects.get(pk=account.pk).name  # noqa: B018


def test_plaintext_written_behind_the_model_is_refused(software_kek):
    account = _open("Alice Smith")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_account SET name = 'Mallory' WHERE id = %s", [account.pk])
    with pytest.raises(MalformedCiphertext, match="unmigrated plaintext"):
        Account.objects.get(pk=account.pk).name  # noqa: B018


def test_plaintext_never_reaches_the_database_layer(software_kek):
    _open("Alice Smith")
    with pytest.raises(EncryptedFieldMisuse):
        Account.objects.update(name="Mallory")
    with pytest.raises(EncryptedFieldMisuse):
        Account.objects.filter(name="Alice Smith").exists()
    with pytest.raises(EncryptedFieldMisuse, match="blind index"):
        Account.objects.filter(name__icontains="alice").exists()


def test_values_list_returns_the_stored_ciphertext(software_kek):
    account = _open("Alice Smith")
    stored = Account.objects.filter(pk=account.pk).values_list("name", flat=True).get()
    assert isinstance(stored, Ciphertext) and is_envelope_text(stored)
    assert Account.objects.filter(name=stored).get() == account  # exact match on ciphertext is allowed


def test_saving_other_fields_does_not_touch_the_name(software_kek):
    account = _open("Alice Smith")
    before = _raw(account)
    loaded = Account.objects.get(pk=account.pk)
    loaded.overdraft_limit_minor = 500
    loaded.save()  # name never read: its ciphertext is written back as it was
    assert _raw(account) == before
    assert Account.objects.get(pk=account.pk).name == "Alice Smith"


def test_deferred_name_loads_and_decrypts(software_kek):
    account = _open("Alice Smith")
    assert Account.objects.defer("name").get(pk=account.pk).name == "Alice Smith"
    assert Account.objects.only("id").get(pk=account.pk).name == "Alice Smith"

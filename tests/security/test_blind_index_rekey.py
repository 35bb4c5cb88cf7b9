"""Re-keying the blind indexes: new key current, old key previous, every stored index recomputed in resumable
batches; customers are found by name and national id before, during and after, on PostgreSQL."""

from __future__ import annotations

import base64
import io
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from apps.audit.models import AuditRecord
from apps.customers.models import Customer
from apps.customers.selectors import customer_list
from apps.security import services
from apps.security.blind_index import blind_index, key_id
from apps.security.models import BlindIndexRekey
from tests.customers.conftest import person
from tests.fraud.conftest import always, fresh_runtime, promoted, small_csv, small_model  # noqa: F401

pytestmark = pytest.mark.django_db

OLD = base64.b64encode(secrets.token_bytes(32)).decode()
NEW = base64.b64encode(secrets.token_bytes(32)).decode()
PEOPLE = [("Ada Lovelace", "AL-1815"), ("Grace Hopper", "GH-1906"), ("Katherine Johnson", "KJ-1918")]


def _found(name: str, national_id: str) -> tuple[list[str], list[str]]:
    by_name = list(customer_list(name=name.upper()).values_list("public_id", flat=True))  # normalised: any case
    by_id = list(customer_list(national_id=national_id).values_list("public_id", flat=True))
    return by_name, by_id


def _stored_name_indexes() -> dict[str, str]:
    return dict(Customer.objects.values_list("public_id", "name_bidx"))


def _rekey(*args: str) -> str:
    out = io.StringIO()
    call_command("rekey_blind_index", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_customers_are_found_by_their_blind_indexes_before_during_and_after_a_rekey():
    assert connection.vendor == "postgresql"
    with override_settings(QENEX_BLIND_INDEX_KEY=OLD):
        customers = {name: person(name=name, national_id=nid).public_id for name, nid in PEOPLE}
        for name, nid in PEOPLE:
            assert _found(name, nid) == ([customers[name]], [customers[name]])
        old_indexes = _stored_name_indexes()
        old_key_id = key_id()

    # The new key alone finds nobody: the stored indexes are under the old key (what the re-key is for).
    with override_settings(QENEX_BLIND_INDEX_KEY=NEW):
        assert _found(*PEOPLE[0]) == ([], [])

    with override_settings(QENEX_BLIND_INDEX_KEY=NEW, QENEX_BLIND_INDEX_PREVIOUS_KEY=OLD):
        assert key_id() != old_key_id
        # During the rotation, before any row is re-keyed: found through the previous key's digest.
        for name, nid in PEOPLE:
            assert _found(name, nid) == ([customers[name]], [customers[name]])
        # A customer created mid-rotation is indexed under the new key at once.
        late = person(name="Mary Jackson", national_id="MJ-1921").public_id
        assert Customer.objects.get(public_id=late).name_bidx == blind_index(
            value="Mary Jackson", purpose="customers.customer.name"
        )

        # One batch of one row per run: each run resumes where the last stopped, and look-ups work throughout,
        # on the mixed state too (some customers re-keyed, some not).
        states = set()
        for _ in range(200):
            out = _rekey("--batch-size", "1", "--max-batches", "1")
            current = _stored_name_indexes()
            states.add(sum(current[c] != old_indexes[c] for c in customers.values()))
            for name, nid in PEOPLE:
                assert _found(name, nid) == ([customers[name]], [customers[name]])
            if "re-key complete" in out:
                break
        assert "re-key complete" in out, out
        assert {0, 1, 2, 3} <= states  # seen before, during (one and two re-keyed) and after
        assert all(row.completed_at and row.failed == 0 for row in BlindIndexRekey.objects.filter(key_id=key_id()))
        assert "changed 0" in _rekey()  # a finished re-key does nothing more
        status = io.StringIO()
        call_command("rekey_blind_index", "--status", stdout=status)
        assert "customers.Customer.name_bidx: done" in status.getvalue()

    with override_settings(QENEX_BLIND_INDEX_KEY=NEW):  # the previous key removed
        new_indexes = _stored_name_indexes()
        assert all(new_indexes[c] != old_indexes[c] for c in customers.values())
        for name, nid in [*PEOPLE, ("Mary Jackson", "MJ-1921")]:
            found = _found(name, nid)
            assert found[0] == found[1] and len(found[0]) == 1, (name, found)
        new_key_id = key_id()
        batches = AuditRecord.objects.filter(action="security.blind_index_rekeyed", object_id=new_key_id)
        assert batches.exists()
        started = AuditRecord.objects.filter(action="security.blind_index_rekey_started", object_id=new_key_id)
        assert started.count() == 1
    with override_settings(QENEX_BLIND_INDEX_KEY=OLD):  # and the old key finds nobody any more
        assert _found(*PEOPLE[1]) == ([], [])


def test_an_unreadable_value_fails_the_rekey_and_it_can_be_run_again_after_the_fix():
    with override_settings(QENEX_BLIND_INDEX_KEY=OLD):
        good = person(name="Emmy Noether", national_id="EN-1882")
        bad = person(name="Lise Meitner", national_id="LM-1878")
    stored = Customer.objects.filter(pk=bad.pk).values_list("name", flat=True).get()
    with connection.cursor() as cursor:  # a value written behind the model's back: not a ciphertext
        cursor.execute("UPDATE customers_customer SET name = 'garbage' WHERE id = %s", [bad.pk])
    with override_settings(QENEX_BLIND_INDEX_KEY=NEW, QENEX_BLIND_INDEX_PREVIOUS_KEY=OLD):
        with pytest.raises(CommandError, match="could not be read"):
            _rekey()
        assert list(customer_list(name="Emmy Noether").values_list("pk", flat=True)) == [good.pk]
        with connection.cursor() as cursor:
            cursor.execute("UPDATE customers_customer SET name = %s WHERE id = %s", [stored, bad.pk])
        assert "re-key complete" in _rekey("--restart")
    with override_settings(QENEX_BLIND_INDEX_KEY=NEW):
        assert list(customer_list(name="Lise Meitner").values_list("pk", flat=True)) == [bad.pk]


def test_a_concurrent_rename_keeps_the_index_its_own_save_computed(monkeypatch):
    with override_settings(QENEX_BLIND_INDEX_KEY=OLD):
        customer = person(name="Rosalind Franklin", national_id="RF-1920")
    with override_settings(QENEX_BLIND_INDEX_KEY=NEW, QENEX_BLIND_INDEX_PREVIOUS_KEY=OLD):
        real = services._rekey_value

        def rename_meanwhile(row, index_field):
            if isinstance(row, Customer) and index_field.name == "name_bidx":
                renamed = Customer.objects.get(pk=customer.pk)
                renamed.name = "Rosalind E. Franklin"
                renamed.save()  # lands between the re-key's read and its compare-and-swap
            return real(row, index_field)

        monkeypatch.setattr(services, "_rekey_value", rename_meanwhile)
        services.blind_index_rekey(actor="test")
        assert list(customer_list(name="Rosalind E. Franklin").values_list("pk", flat=True)) == [customer.pk]
        assert not customer_list(name="Rosalind Franklin").exists()


def test_the_same_key_as_previous_and_current_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(QENEX_BLIND_INDEX_KEY=NEW, QENEX_BLIND_INDEX_PREVIOUS_KEY=NEW):
        with pytest.raises(ImproperlyConfigured, match="PREVIOUS_KEY equals"):
            customer_list(name="anyone").exists()
    with pytest.raises(CommandError, match="invalid_batch_size"):
        call_command("rekey_blind_index", "--batch-size", "0")


def test_the_fraud_apps_copies_of_a_payees_index_follow_the_rekey(
    promoted, always, django_capture_on_commit_callbacks  # noqa: F811
):
    from apps.fraud.models import FraudAlert, FraudLabel
    from apps.fraud.services import alert_decide
    from apps.payments.models import PaymentOrder
    from tests.privacy.helpers import rich_customer

    always("review")
    with override_settings(QENEX_BLIND_INDEX_KEY=OLD):
        with django_capture_on_commit_callbacks(execute=True):
            _, _, payment = rich_customer("Hedy Lamarr", national_id="HL-1914")
        alert = FraudAlert.objects.get(reference=payment.public_id)
        old = alert.counterparty_id
        assert old == "bidx:" + PaymentOrder.objects.get(pk=payment.pk).creditor_identifier_bidx
        alert_decide(alert_id=alert.public_id, is_fraud=True, actor="analyst")
    with override_settings(QENEX_BLIND_INDEX_KEY=NEW, QENEX_BLIND_INDEX_PREVIOUS_KEY=OLD):
        assert "fraud: alerts 1, labels 1" in _rekey()
        new = "bidx:" + PaymentOrder.objects.get(pk=payment.pk).creditor_identifier_bidx
        assert new != old
        assert FraudAlert.objects.get(pk=alert.pk).counterparty_id == new
        assert FraudLabel.objects.get(alert=alert).counterparty_id == new
        assert "fraud: alerts 0, labels 0" in _rekey()  # nothing more to do
        assert AuditRecord.objects.filter(action="fraud.counterparties_rekeyed").count() == 1

"""PostgreSQL itself refuses an unbalanced or edited ledger, even when application code is bypassed."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.ledger import services
from apps.ledger.models import JournalEntry, Posting
from tests.factories import funded_account

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _pg(on_postgresql):
    pass


def _immediate_constraints():
    """Run the deferred constraint triggers now; PostgreSQL checks pending rows retroactively."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_postings_cannot_be_updated():
    a, b = funded_account("10.00"), funded_account("0")
    t = services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="1", currency="USD")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Posting.objects.filter(entry=t.entry).update(amount_minor=999)


def test_postings_and_entries_cannot_be_deleted():
    a, b = funded_account("10.00"), funded_account("0")
    t = services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="1", currency="USD")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Posting.objects.filter(entry=t.entry).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_journalentry WHERE id = %s", [t.entry.pk])


def test_unbalanced_entry_is_refused_by_the_database():
    a, b = funded_account("10.00"), funded_account("0")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(entry_type="TRANSFER", amount_minor=100, currency="USD")
        now = timezone.now()
        Posting.objects.create(
            entry=entry, account=a, currency="USD", amount_minor=-100, balance_after_minor=0, posted_at=now
        )
        Posting.objects.create(
            entry=entry, account=b, currency="USD", amount_minor=99, balance_after_minor=0, posted_at=now
        )
        _immediate_constraints()  # what COMMIT would do: run the deferred checks now


def test_single_legged_entry_is_refused_by_the_database():
    a = funded_account("10.00")
    with pytest.raises(IntegrityError, match="at least 2"), transaction.atomic():
        entry = JournalEntry.objects.create(entry_type="DEPOSIT", amount_minor=100, currency="USD")
        Posting.objects.create(
            entry=entry, account=a, currency="USD", amount_minor=100, balance_after_minor=0, posted_at=timezone.now()
        )
        _immediate_constraints()  # what COMMIT would do: run the deferred checks now


def test_posting_in_a_currency_other_than_its_account_is_refused():
    a, b = funded_account("10.00"), funded_account("0")
    with pytest.raises(IntegrityError, match="currency"), transaction.atomic():
        entry = JournalEntry.objects.create(entry_type="TRANSFER", amount_minor=100, currency="EUR")
        now = timezone.now()
        Posting.objects.create(
            entry=entry, account=a, currency="EUR", amount_minor=-100, balance_after_minor=0, posted_at=now
        )
        Posting.objects.create(
            entry=entry, account=b, currency="EUR", amount_minor=100, balance_after_minor=0, posted_at=now
        )
        _immediate_constraints()  # what COMMIT would do: run the deferred checks now


def test_zero_posting_is_refused_by_check_constraint():
    a = funded_account("10.00")
    entry = JournalEntry.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(
            entry=entry, account=a, currency="USD", amount_minor=0, balance_after_minor=0, posted_at=timezone.now()
        )

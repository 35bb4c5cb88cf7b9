"""The terminal history that inline fraud scoring reads is served by an index (PostgreSQL's plan, with EXPLAIN)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.cards.models import Authorisation, AuthorisationStatus
from apps.fraud import selectors
from tests.cards.factories import issued_card

pytestmark = pytest.mark.django_db

INDEX = "cards_auth_terminal_time"


@pytest.fixture
def many_authorisations():
    """20,000 authorisations at 200 terminals of 50 merchants over 30 days, then ANALYZE (the planner's statistics)."""
    cards = [issued_card()[0] for _ in range(3)]
    now = timezone.now()
    statuses = [AuthorisationStatus.CLEARED, AuthorisationStatus.APPROVED, AuthorisationStatus.DECLINED]
    rows = []
    for k in range(20_000):
        status = statuses[k % 3]
        rows.append(Authorisation(
            network_key=f"ACQ1:{k}", request_fingerprint=f"fp{k}", card=cards[k % 3], status=status,
            response_code="05" if status == AuthorisationStatus.DECLINED else "00",
            hold_id="" if status == AuthorisationStatus.DECLINED else f"hold{k}", stan=f"{k % 999999:06d}",
            rrn=f"{k:012d}", transmission_datetime="1203081500", terminal_id=f"t{k % 4}",
            merchant_id=f"m{(k // 4) % 50:04d}", merchant_category="5411", processing_code="000000",
            amount_minor=1000 + k, currency="USD", cleared_minor=0, created_at=now - timedelta(minutes=2 * k),
        ))
    Authorisation.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cards_authorisation")
    return now


def _plan(now) -> str:
    query = selectors.terminal_authorisations(merchant_id="m0007", terminal_id="t2", since=now - timedelta(days=37),
                                              until=now)
    return query.values_list("created_at", "amount_minor", "card__account__owner_id").explain()


def test_the_terminal_history_query_uses_its_index(many_authorisations):
    plan = _plan(many_authorisations)
    print(plan)  # noqa: T201 - shown with -s: the plan is the evidence
    assert INDEX in plan, plan
    assert "Seq Scan on cards_authorisation" not in plan, plan
    # The same rows as the query asks for: one terminal, not declined, inside the window.
    found = selectors.terminal_authorisations(merchant_id="m0007", terminal_id="t2",
                                              since=many_authorisations - timedelta(days=37), until=many_authorisations)
    assert found.count() == 67 and not found.filter(status=AuthorisationStatus.DECLINED).exists()


def test_without_the_index_the_same_query_reads_the_whole_table(many_authorisations):
    """The index is what makes the difference (dropped inside the test's transaction, so it comes back after)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
    plan = _plan(many_authorisations)
    print(plan)  # noqa: T201 - shown with -s: the plan is the evidence
    assert INDEX not in plan and "Seq Scan on cards_authorisation" in plan, plan

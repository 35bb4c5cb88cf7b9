"""Every portal list goes through ``pagination.filtered_page``: a filter bar bound to the query, a stable order and
pages whose links keep the filters. One test per list: a filter that keeps some rows and drops others, and paging
(two rows a page, so three real rows make two pages) that shows every row exactly once.
"""

from __future__ import annotations

import re

import pytest

from apps.approvals.models import ApprovalRequest
from apps.cards.models import Authorisation
from apps.compliance.alert_models import ScreeningAlert
from apps.inbound import services as inbound_services
from apps.inbound.models import ExceptionItem
from apps.portal import pagination
from apps.reconciliation.models import ReconciliationBreak, ReconciliationRun
from tests.cards.factories import issued_card
from tests.cards.test_authorisations import authorise
from tests.compliance.conftest import un_list  # noqa: F401  (the fixture: the real UN list, loaded)
from tests.compliance.test_screening_alerts import _held_payment as _screened_payment
from tests.factories import funded_account
from tests.inbound.messages import OTHER_IBAN, pacs008
from tests.payments.formats.statement_samples import Line
from tests.portal.test_actions import _held_payment, signed_in
from tests.reconciliation.helpers import settled_payment, statement_for
from tests.reconciliation.test_services import import_and_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_a_page(monkeypatch):
    monkeypatch.setattr(pagination, "DEFAULT_PER_PAGE", 2)


def _pages(client, url: str, ids: list[str], query: str = "") -> None:
    """``url`` (with ``query``) lists exactly ``ids`` over two pages, two then one, each once, and the page links
    keep the query."""
    sep = "&" if query else ""
    first = client.get(f"{url}?{query}").content.decode()
    second = client.get(f"{url}?{query}{sep}page=2").content.decode()
    assert "Page 1 of 2" in first and f"{len(ids)} in all" in first, first
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    shown = [[i for i in ids if i in page] for page in (first, second)]
    assert sorted(shown[0] + shown[1]) == sorted(ids) and len(shown[0]) == 2 and len(shown[1]) == 1
    if query:
        assert f'href="?{query.replace("&", "&amp;")}&amp;page=2"' in first  # the filters stay in the links
    assert client.get(f"{url}?{query}{sep}page=99").status_code == 200  # the nearest real page, never a 404
    assert client.get(f"{url}?{query}{sep}page=x").status_code == 200


def test_payments_filter_by_status_and_rail_and_page():
    held = [_held_payment().public_id for _ in range(3)]
    officer = signed_in("root", superuser=True)
    _pages(officer, "/payments/", held, "status=HELD&rail=sepa")
    assert not any(p in officer.get("/payments/?rail=swift").content.decode() for p in held)


def test_held_payments_filter_by_rail_and_page():
    held = [_held_payment().public_id for _ in range(3)]
    officer = signed_in("root", superuser=True)
    _pages(officer, "/payments/held/", held, "rail=sepa")
    page = officer.get("/payments/held/?rail=swift").content.decode()
    assert 'aria-label="Filter held payments"' in page and "No payment waits for review." in page
    assert officer.get("/payments/held/?rail=nope").status_code == 200  # an invalid filter: the whole list


def test_dead_letters_filter_by_rail(settings):
    officer = signed_in("root", superuser=True)
    page = officer.get("/payments/failed/?rail=swift").content.decode()
    assert 'aria-label="Filter dead letters"' in page and "No failed payments." in page
    assert 'name="status"' not in page  # the list is of one status: no status filter


def _suspended(amount: str) -> str:
    raw, uetr = pacs008(creditor_iban=OTHER_IBAN, amount=amount)
    inbound_services.message_receive(raw=raw, rail="sepa", source="api")
    return ExceptionItem.objects.get(inbound__network_id=uetr).public_id


def test_inbound_exceptions_filter_by_status_rail_and_reason_and_page():
    items = [_suspended(f"{10 + i}.00") for i in range(3)]
    reason = ExceptionItem.objects.get(public_id=items[0]).reason_code
    ops = signed_in("ops1", "operations")
    _pages(ops, "/inbound/exceptions/", items)  # the default: open items
    _pages(ops, "/inbound/exceptions/", items, f"status=OPEN&rail=sepa&reason={reason}")
    assert not any(i in ops.get("/inbound/exceptions/?rail=fedwire").content.decode() for i in items)
    assert not any(i in ops.get("/inbound/exceptions/?status=RETURNED").content.decode() for i in items)


def test_reconciliation_runs_filter_by_account_and_page():
    runs = []
    for i in range(3):
        _, run = import_and_run(statement_for([settled_payment(f"E2E-R{i}")], statement_id=f"STMT-R{i}"))
        runs.append(run.public_id)
    nostro = ReconciliationRun.objects.get(public_id=runs[0]).statement.account.public_id
    ops = signed_in("ops1", "operations")
    _pages(ops, "/reconciliation/", runs)
    _pages(ops, "/reconciliation/", runs, f"account={nostro}")
    assert not any(r in ops.get("/reconciliation/?account=acc_other").content.decode() for r in runs)


def test_reconciliation_breaks_filter_by_status_and_kind_and_page():
    fees = [Line(f"{5 + i}.00", "DBIT", remittance=f"Fee {i}") for i in range(3)]
    _, run = import_and_run(statement_for([settled_payment("E2E-B1")], extra=fees))
    breaks = list(ReconciliationBreak.objects.filter(run=run).values_list("public_id", "kind"))
    unmatched = [b for b, kind in breaks if kind == "unmatched_statement_line"]
    assert len(unmatched) == 3
    ops = signed_in("ops1", "operations")
    _pages(ops, "/reconciliation/breaks/", unmatched, "status=OPEN&kind=unmatched_statement_line")
    assert not any(b in ops.get("/reconciliation/breaks/?status=RESOLVED").content.decode() for b in unmatched)


def test_card_authorisations_filter_by_response_code_and_page():
    card, pan = issued_card(balance="100.00")
    approved = [authorise(pan, 1000 + i, expiry=card.expiry).rrn for i in range(3)]
    declined = authorise(pan, 40000, expiry=card.expiry).rrn  # above the balance: 51
    ids = [Authorisation.objects.get(rrn=rrn).public_id for rrn in approved]
    ops = signed_in("ops1", "operations")
    _pages(ops, "/cards/authorisations/", ids, "response_code=00")
    only_declines = ops.get("/cards/authorisations/?response_code=51").content.decode()
    assert Authorisation.objects.get(rrn=declined).public_id in only_declines
    assert not any(i in only_declines for i in ids)


def test_screening_alerts_filter_by_status_and_subject_and_page(un_list, django_capture_on_commit_callbacks):  # noqa: F811
    payments = [_screened_payment(django_capture_on_commit_callbacks)[1] for _ in range(3)]
    alerts = [ScreeningAlert.objects.get(subject_id=p.public_id).public_id for p in payments]
    officer = signed_in("co1", "compliance_officer")
    _pages(officer, "/compliance/screening/", alerts)  # the default: open alerts
    _pages(officer, "/compliance/screening/", alerts, "status=open&subject_type=payment")
    assert not any(a in officer.get("/compliance/screening/?status=cleared").content.decode() for a in alerts)


def test_the_approvals_queue_filters_by_kind_and_maker_and_pages(settings):
    settings.QENEX_APPROVAL_THRESHOLD = "1000"
    source, target = funded_account("90000.00"), funded_account("0.00")
    teller = signed_in("teller1", "teller")
    for i in range(3):
        form = {"to_account": target.public_id, "amount": f"{5000 + i}.00", "idempotency_key": f"q-{i}"}
        teller.post(f"/accounts/{source.public_id}/transfer/", form)
    ops = signed_in("ops1", "operations")
    ops.post(f"/accounts/{source.public_id}/freeze/")
    ops.post(f"/accounts/{source.public_id}/unfreeze/")  # an ACCOUNT_UNFREEZE request by another maker
    postings = list(ApprovalRequest.objects.filter(kind="POSTING").order_by("created_at", "id")
                    .values_list("public_id", flat=True))
    unfreeze = ApprovalRequest.objects.get(kind="ACCOUNT_UNFREEZE").public_id
    boss = signed_in("boss", "administrator")
    _pages(boss, "/approvals/", postings, "kind=POSTING")
    _pages(boss, "/approvals/", postings, "maker=teller1")
    by_ops = boss.get("/approvals/?maker=ops1").content.decode()
    assert unfreeze in by_ops and not any(p in by_ops for p in postings)
    oldest_first = boss.get("/approvals/?kind=POSTING").content.decode()
    assert re.search(f"{postings[0]}.*{postings[1]}", oldest_first, re.S)

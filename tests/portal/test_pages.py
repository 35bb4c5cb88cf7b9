"""The staff portal's pages over the real stack: a staff user signed in with password and TOTP, PostgreSQL.

Layout and shared components (menu by role, money and time formats, the strict CSP), the dashboard, account
search and the account page with its statement and CSV export.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.ledger.models import Posting
from apps.ledger.services import hold_place, post_deposit, post_transfer
from apps.portal.formatting import money_text, time_text
from apps.portal.selectors import dashboard_summary
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db


def signed_in(username: str, role: str | None = None, *, superuser: bool = False) -> Client:
    return otp_login(Client(), make_staff(username, role, superuser=superuser))


def menu_labels(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


def test_amounts_have_thousands_separators_and_the_currency_and_times_their_zone():
    assert money_text(123456789, "USD") == "1,234,567.89 USD"
    assert money_text(-5, "USD") == "-0.05 USD"
    assert money_text(1500000, "JPY") == "1,500,000 JPY"
    assert money_text(1234567, "BHD") == "1,234.567 BHD"
    at = datetime(2026, 12, 2, 7, 30, 5, tzinfo=UTC)
    assert time_text(at) == "2026-12-02 07:30:05 UTC"


def test_time_zone_setting_changes_how_times_are_shown(settings):
    settings.QENEX_PORTAL_TIME_ZONE = "Europe/Berlin"
    at = datetime(2026, 12, 2, 7, 30, 5, tzinfo=UTC)
    assert time_text(at) == "2026-12-02 08:30:05 CET"


def test_the_menu_shows_what_the_role_may_open():
    teller = signed_in("teller1", "teller").get("/").content.decode()
    assert menu_labels(teller)[:2] == ["Dashboard", "Accounts"]
    assert "Approvals" not in menu_labels(teller) and "Payments" not in menu_labels(teller)
    compliance = menu_labels(signed_in("co1", "compliance_officer").get("/").content.decode())
    assert "Approvals" in compliance
    superuser = menu_labels(signed_in("root", superuser=True).get("/accounts/").content.decode())
    assert {"Dashboard", "Accounts", "Payments", "Held payments", "Dead letters", "Approvals"} <= set(superuser)


def test_the_current_page_is_marked_in_the_menu():
    html = signed_in("teller1", "teller").get("/accounts/").content.decode()
    assert re.search(r'<a href="/accounts/" aria-current="page">Accounts</a>', html)
    assert '<a href="/" aria-current' not in html


def test_pages_keep_the_strict_csp_and_carry_no_inline_script_or_style():
    client = signed_in("root", superuser=True)
    account = funded_account("10.00")
    for path in ["/", "/accounts/", f"/accounts/{account.public_id}/", "/payments/", "/payments/held/",
                 "/payments/failed/", "/approvals/", "/compliance/screening/", "/inbound/exceptions/",
                 "/reconciliation/", "/reconciliation/breaks/", "/cards/authorisations/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers either
        assert '<link rel="icon" href="/static/favicon.svg"' in html


def test_every_form_control_has_a_label():
    client = signed_in("root", superuser=True)
    account = funded_account("10.00")
    for path in ["/accounts/", f"/accounts/{account.public_id}/", "/payments/", "/compliance/screening/",
                 "/inbound/exceptions/", "/reconciliation/breaks/", "/cards/authorisations/"]:
        html = client.get(path).content.decode()
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for control in re.findall(r"<(?:input|select)\b[^>]*>", html):
            if 'type="hidden"' in control:
                continue
            control_id = re.search(r'id="([^"]+)"', control)
            assert control_id and control_id.group(1) in labelled, (path, control)


def test_dashboard_counts_todays_postings_by_type_and_currency_and_open_holds():
    usd = funded_account("1000.00", "USD")
    eur = funded_account("2500.00", "EUR")
    post_deposit(to_account=usd.public_id, amount="1234.50", currency="USD")
    hold_place(account=usd.public_id, amount="40.00", currency="USD")
    summary = dashboard_summary()
    deposits = {(v["type"], v["currency"]): v for v in summary["volumes"]}
    assert deposits[("DEPOSIT", "USD")]["count"] == 2
    assert deposits[("DEPOSIT", "USD")]["amount"] == "2,234.50"
    assert deposits[("DEPOSIT", "EUR")]["amount"] == "2,500.00"
    assert summary["holds"] == [{"currency": "USD", "count": 1, "amount": "40.00"}]
    assert summary["waiting"] == {"approvals": 0, "payments_held": 0, "payments_failed": 0}
    tomorrow = timezone.now() + timedelta(days=1)
    assert dashboard_summary(now=tomorrow)["volumes"] == []  # "today" starts at midnight
    html = signed_in("teller1", "teller").get("/").content.decode()
    assert "2,234.50 USD" in html and 'id="dashboard-data"' in html and eur.currency in html
    assert '/static/vendor/chartjs/chart.umd.min.js' in html


def test_old_search_links_on_the_dashboard_go_to_the_accounts_search():
    client = signed_in("teller1", "teller")
    account = funded_account("123.45", owner_id="portal-user")
    response = client.get("/?owner_id=portal-user", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/?owner_id=portal-user"
    assert account.public_id in response.content.decode()


def test_account_search_filters_and_pages():
    for i in range(30):
        funded_account("1.00", "USD", owner_id=f"cust-{i:02d}")
    euro = funded_account("1234567.89", "EUR", owner_id="cust-euro")
    client = signed_in("teller1", "teller")
    first = client.get("/accounts/").content.decode()
    assert "Page 1 of 2" in first and "31 in all" in first
    second = client.get("/accounts/?page=2").content.decode()
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    only_eur = client.get("/accounts/?currency=EUR").content.decode()
    assert euro.public_id in only_eur and "1,234,567.89 EUR" in only_eur and "cust-01" not in only_eur
    by_prefix = client.get("/accounts/?q=cust-0").content.decode()
    assert by_prefix.count('href="/accounts/acc_') == 10
    assert 'href="?q=cust-0&amp;page=2"' not in by_prefix  # 10 results: one page
    paged = client.get("/accounts/?q=cust&currency=USD").content.decode()
    assert 'href="?q=cust&amp;currency=USD&amp;page=2"' in paged  # the filters stay in the page links


def test_account_page_shows_balance_available_and_holds():
    account = funded_account("12345.67", "USD")
    hold_place(account=account.public_id, amount="345.67", currency="USD", description="card auth")
    html = signed_in("teller1", "teller").get(f"/accounts/{account.public_id}/").content.decode()
    assert re.search(r'data-fact="balance">12,345.67 USD<', html)
    assert re.search(r'data-fact="available">12,000.00 USD<', html)
    assert re.search(r'data-fact="held">345.67 USD<', html)
    assert "card auth" in html
    assert signed_in("other", "teller").get("/accounts/acc_missing/").status_code == 404


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_statement_date_range_and_csv_export():
    account = funded_account("100.00", "USD")
    post_deposit(to_account=account.public_id, amount="1000.00", currency="USD", description="=HYPERLINK()")
    client = signed_in("teller1", "teller")
    today = timezone.localdate()
    yesterday, tomorrow = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    today = today.isoformat()
    shown = client.get(f"/accounts/{account.public_id}/?start={today}&end={today}").content.decode()
    assert "1,000.00" in shown and "Opening balance" in shown
    before = client.get(f"/accounts/{account.public_id}/?end={yesterday}").content.decode()
    assert "No postings in this period." in before and "1,000.00</td>" not in before
    after = client.get(f"/accounts/{account.public_id}/?start={tomorrow}").content.decode()
    assert "No postings in this period." in after
    response = client.get(f"/accounts/{account.public_id}/statement.csv?start={today}&end={today}")
    assert response["Content-Type"].startswith("text/csv")
    assert f"statement-{account.public_id}-{today}-{today}.csv" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0] == ["posted_at", "transaction", "type", "description", "amount", "currency", "balance_after"]
    assert [r[2:] for r in rows[1:]] == [  # oldest first; a formula-like description is neutralised
        ["DEPOSIT", "Opening balance", "100.00", "USD", "100.00"],
        ["DEPOSIT", "'=HYPERLINK()", "1000.00", "USD", "1100.00"],
    ]
    assert rows[1][0].endswith("+00:00")
    assert _csv_rows(client.get(f"/accounts/{account.public_id}/statement.csv?end={yesterday}")) == [rows[0]]
    assert client.get(f"/accounts/{account.public_id}/statement.csv?start={today}&end={yesterday}").status_code == 400


def test_live_endpoint_returns_balances_and_only_the_new_postings():
    source = funded_account("500.00", "USD")
    target = funded_account("0.00", "USD")
    client = signed_in("teller1", "teller")
    latest = Posting.objects.filter(account=source).latest("id").pk
    post_deposit(to_account=source.public_id, amount="1500.00", currency="USD")
    entry = post_transfer(from_account=source.public_id, to_account=target.public_id, amount="1234.00", currency="USD")
    data = client.get(f"/accounts/{source.public_id}/live/?after={latest}").json()
    assert data["balance"] == "766.00 USD" and data["available"] == "766.00 USD"
    assert [r["type"] for r in data["rows"]] == ["TRANSFER", "DEPOSIT"]
    assert data["rows"][0]["transaction"] == entry.entry.public_id and data["rows"][0]["amount"] == "-1,234.00"
    assert client.get(f"/accounts/{source.public_id}/live/?after=x").status_code == 400


def test_views_need_a_role():
    client = signed_in("norole")
    account = funded_account("1.00")
    for path in ["/", "/accounts/", f"/accounts/{account.public_id}/", f"/accounts/{account.public_id}/statement.csv",
                 "/payments/"]:
        assert client.get(path).status_code == 403, path
    teller = signed_in("teller1", "teller")
    assert teller.get("/payments/").status_code == 403  # tellers hold no payments permission
    assert Client().get("/accounts/").status_code == 302

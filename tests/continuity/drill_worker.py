"""Load data for the restore drill and the replica test through the ledger's services, as its own process
against the database in DATABASE_URL (settings from ``tests.throwaway.app_env``).

    python tests/continuity/drill_worker.py open PREFIX N
        Open N USD and N EUR customer accounts (owners PREFIX-i) with a deposit each; print their public ids.
    python tests/continuity/drill_worker.py post PREFIX COUNT ACCOUNT [ACCOUNT ...]
        Post COUNT deposits and transfers among the accounts (keys PREFIX-i); print the entries' public ids.
    python tests/continuity/drill_worker.py statement ACCOUNT
        The statement selector's alias and lines as the app reads them (the replica when configured), then the
        same inside a request (``ReadYourWritesMiddleware``) after it wrote.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _open(prefix: str, count: int) -> None:
    from apps.ledger.services import account_open

    ids = [
        account_open(
            owner_id=f"{prefix}-{currency}-{i}", account_type="CHECKING", currency=currency, initial_balance="500.00"
        ).public_id
        for currency in ("USD", "EUR")
        for i in range(count)
    ]
    print(json.dumps(ids))


def _post(prefix: str, count: int, accounts: list[str]) -> None:
    from apps.accounts.models import Account
    from apps.core.money import format_amount
    from apps.ledger.services import post_deposit, post_transfer

    currency_of = dict(Account.objects.filter(public_id__in=accounts).values_list("public_id", "currency"))
    entries = []
    for i in range(count):
        source = accounts[i % len(accounts)]
        currency = currency_of[source]
        same = [a for a in accounts if currency_of[a] == currency and a != source]
        amount = format_amount(100 + i * 37 % 900, currency)
        if i % 3 == 0:
            result = post_deposit(to_account=source, amount=amount, currency=currency, idempotency_key=f"{prefix}-{i}")
        else:
            result = post_transfer(
                from_account=source,
                to_account=same[i % len(same)],
                amount=amount,
                currency=currency,
                idempotency_key=f"{prefix}-{i}",
            )
        entries.append(result.entry.public_id)
    print(json.dumps(entries))


def _statement(account_id: str) -> None:
    from django.db import connections
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import Account
    from apps.ledger import selectors
    from apps.ledger.services import post_deposit
    from qenex.db_routers import ReadYourWritesMiddleware, read_alias

    account = Account.objects.get(public_id=account_id)

    def read() -> dict:
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            lines = list(selectors.statement_lines(account=account).values_list("entry__public_id", flat=True))
        with connections[read_alias()].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            (in_recovery,) = cursor.fetchone()
        return {
            "alias": read_alias(),
            "in_recovery": in_recovery,
            "lines": lines,
            "replica_queries": len(on_replica.captured_queries),
        }

    before = read()
    outcome: dict = {}

    def request_that_writes(request):  # a view: a read, a write, a read, under the real middleware
        outcome["unpinned"] = read()["alias"]
        outcome["written"] = post_deposit(
            to_account=account_id, amount="1.00", currency=account.currency, idempotency_key=f"stmt-{account_id}"
        ).entry.public_id
        outcome["after_write"] = read()
        return HttpResponse()

    ReadYourWritesMiddleware(request_that_writes)(RequestFactory().get("/"))
    print(json.dumps({"before": before, "next_request": read()["alias"], **outcome}))


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if argv[0] == "open":
        _open(argv[1], int(argv[2]))
    elif argv[0] == "post":
        _post(argv[1], int(argv[2]), argv[3:])
    elif argv[0] == "statement":
        _statement(argv[1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Scenario 10, a card at a shop, as a bank and a card network live it.

An integrator opens an account and issues a card through the API. The issuer host runs as its own process on a
TCP port, and the card switch (another process, ``manage.py card_switch``) sends it the day's messages:

1. an 0100 for a 45.00 coffee: approved (00) within the time budget, 45.00 held;
2. an 0100 for a 900.00 television, above what is available: 51, nothing changes;
3. the coffee's 0220 clearing for 40.00 (the tip was not added): 40.00 captured, the other 5.00 released;
4. an 0100 for a 20.00 taxi, approved, then its 0400 reversal (the ride was cancelled): the hold is voided.

At the end the account shows 160.00 of 200.00 and the card's authorisations tell the story.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cards.factories import make_pan
from tests.cards.host_process import CardHostProcess, child_env
from tests.conftest import make_client
from tests.network_sandbox import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def run_switch(port: int, steps: list[dict], workdir) -> list[dict]:
    script = workdir / "steps.json"
    script.write_text(json.dumps(steps))
    done = subprocess.run(
        [sys.executable, "manage.py", "card_switch", "--port", str(port), "--script", str(script)],
        cwd=ROOT,
        env={**os.environ, **child_env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_card_at_a_shop(tmp_path, on_postgresql):
    api = make_client(["accounts:read", "accounts:write", "cards:read", "cards:write"], name="card-integrator")
    opened = api.post(
        "/api/v1/accounts",
        {"owner_id": "cust-shopper", "account_type": "CHECKING", "currency": "USD", "initial_balance": "200.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="open-1",
    )
    assert opened.status_code == 201, opened.json()
    account = opened.json()["id"]
    pan = make_pan("visa")
    issued = api.post(
        "/api/v1/cards",
        {
            "account": account,
            "pan": pan,
            "expiry_year": 2030,
            "expiry_month": 12,
            "per_transaction_limit": "1000.00",
            "daily_limit": "2000.00",
        },
        format="json",
    )
    assert issued.status_code == 201, issued.json()
    card = issued.json()
    assert pan not in json.dumps(card)

    with CardHostProcess(tmp_path) as host:
        answers = run_switch(
            host.port,
            [
                {"send": "0100", "ref": "coffee", "pan": pan, "amount_minor": 4500, "expiry": "3012", "mcc": "5814"},
                {"send": "0100", "ref": "television", "pan": pan, "amount_minor": 90000, "mcc": "5732"},
                {"send": "0220", "of": "coffee", "amount_minor": 4000},
                {"send": "0100", "ref": "taxi", "pan": pan, "amount_minor": 2000, "mcc": "4121"},
                {"send": "0400", "of": "taxi"},
            ],
            tmp_path,
        )
        host_log = host.output()
    assert pan not in host_log and pan not in json.dumps(answers)  # the PAN is never logged nor printed
    assert [(a["ref"], a["mti"], a["response_code"]) for a in answers] == [
        ("coffee", "0110", "00"),
        ("television", "0110", "51"),
        ("coffee", "0230", "00"),
        ("taxi", "0110", "00"),
        ("taxi", "0410", "00"),
    ]
    assert answers[0]["auth_id"] and answers[0]["elapsed_ms"] < 2000  # within the default time budget

    balance = api.get(f"/api/v1/accounts/{account}/balance").json()
    assert (balance["balance"], balance["held"], balance["available_balance"]) == ("160.00", "0.00", "160.00")
    history = api.get(f"/api/v1/cards/{card['id']}/authorisations").json()["results"]  # newest first
    assert [(a["status"], a["response_code"], a["amount"], a["cleared_amount"]) for a in history] == [
        ("REVERSED", "00", "20.00", "0.00"),
        ("DECLINED", "51", "900.00", "0.00"),
        ("CLEARED", "00", "45.00", "40.00"),
    ]

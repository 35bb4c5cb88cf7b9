"""A posting process for the crash tests, run as its own Python process against the database in DATABASE_URL.

    python tests/ledger/ledger_worker.py transfers PREFIX COUNT ACCOUNT [ACCOUNT ...]
        Post transfer i = 0 .. COUNT-1 of a fixed series (``series_step``) with idempotency key ``PREFIX-i``,
        one after the other; print one JSON line per answer ({"i": i, "replayed": bool}) after its COMMIT.
        Run it again after a kill and it replays what was committed and posts the rest.
    python tests/ledger/ledger_worker.py check [KEY_PART]
        Print {"violations": ..., "entries": {key: [from, to, amount_minor]}} as JSON: the ledger invariants
        (``tests.ledger.invariants``) and the transfers whose idempotency key contains KEY_PART.

    python tests/ledger/ledger_worker.py batches PREFIX COUNT SIZE ACCOUNT [ACCOUNT ...]
        The same series posted through ``post_batch`` (atomic mode), SIZE entries per batch, one key per entry;
        print {"batch": b, "replayed": n} after each batch's COMMIT.

The settings come from the environment (``tests.throwaway.app_env``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def series_step(i: int, accounts: list[str]) -> tuple[str, str, int]:
    """Transfer ``i`` of the series: (from, to, amount in minor units). Deterministic, never to itself."""
    n = len(accounts)
    source = i % n
    target = (source + 1 + (i // n) % (n - 1)) % n
    return accounts[source], accounts[target], 1 + (i * 7919) % 997


def _transfers(prefix: str, count: int, accounts: list[str]) -> None:
    from apps.core.money import format_amount
    from apps.ledger.services import post_transfer

    for i in range(count):
        source, target, amount_minor = series_step(i, accounts)
        result = post_transfer(
            from_account=source,
            to_account=target,
            amount=format_amount(amount_minor, "USD"),
            currency="USD",
            idempotency_key=f"{prefix}-{i}",
        )
        print(json.dumps({"i": i, "replayed": result.replayed}), flush=True)


def _batches(prefix: str, count: int, size: int, accounts: list[str]) -> None:
    from apps.core.money import format_amount
    from apps.ledger.services import post_batch

    for b, start in enumerate(range(0, count, size)):
        entries = []
        for i in range(start, min(count, start + size)):
            source, target, amount_minor = series_step(i, accounts)
            entries.append(
                {
                    "type": "TRANSFER",
                    "from_account": source,
                    "to_account": target,
                    "amount": format_amount(amount_minor, "USD"),
                    "currency": "USD",
                    "idempotency_key": f"{prefix}-{i}",
                }
            )
        result = post_batch(entries=entries, mode="atomic")
        print(json.dumps({"batch": b, "replayed": result.count("replayed")}), flush=True)


def _check(key_part: str) -> None:
    from apps.ledger.models import JournalEntry
    from tests.ledger.invariants import ledger_violations

    entries = (
        JournalEntry.objects.filter(idempotency_key__contains=key_part) if key_part else JournalEntry.objects.none()
    )
    rows = entries.values_list("idempotency_key", "from_account__public_id", "to_account__public_id", "amount_minor")
    print(
        json.dumps(
            {
                "violations": ledger_violations(with_audit=True),
                "entries": {key: [source, target, amount] for key, source, target, amount in rows},
            },
            default=str,
        )
    )


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if argv[0] == "transfers":
        _transfers(argv[1], int(argv[2]), argv[3:])
    elif argv[0] == "batches":
        _batches(argv[1], int(argv[2]), int(argv[3]), argv[4:])
    elif argv[0] == "check":
        _check(argv[1] if len(argv) > 1 else "")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

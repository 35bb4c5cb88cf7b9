"""Fraud model benchmark: an honest held-out evaluation, inline scoring latency with its look-ups, batch throughput.

    .venv/bin/python bench/bench_fraud.py [--customers 1500] [--days 90] [--seed 7] [--label-delay-days 7]
        [--samples 2000] [--skip-inline]

1. Evaluation (no database): the synthetic generator (``apps.fraud.synthetic``, fixed seed) writes a labelled
   history; the model is trained on the first 60 % of the days and scores every transaction of the test window,
   which starts ``--label-delay-days`` whole days after the train window ends (``apps.fraud.evaluation``: features
   use only labels at least that old). Prints the report of ``manage.py fraud_evaluate --format json`` and the
   recall at 0.5 / 0.8 per fraud pattern of the generator.
2. Batch throughput: feature vectors per second over the time-sorted stream, and model scores per second on the
   test matrix (one ``score`` call).
3. Inline scoring (the database of DATABASE_URL, development settings, migrated): opens ``--customers`` / 25
   customer accounts and 40 merchant accounts, posts 30 transfers per customer through ``post_batch`` (so every
   history is inside every feature window: the most rows a look-up reads), registers and promotes the model
   trained in 1, then times ``--samples`` single scorings of a transfer exactly as the posting check does
   (account look-up, customer and counterparty histories from the ledger, payments and labels, features, model):
   p50 / p99, and the model alone (``score_one``) for comparison.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def evaluation(args) -> tuple[dict, object, list]:
    import numpy as np

    from apps.fraud import synthetic
    from apps.fraud.dataset import read_rows
    from apps.fraud.evaluation import Window, evaluate, features_for

    started = time.perf_counter()
    generated = synthetic.generate(customers=args.customers, days=args.days, seed=args.seed)
    path = Path(tempfile.mkdtemp()) / "fraud.csv"
    synthetic.write_csv(path, generated)
    rows = read_rows(path)
    frauds = sum(r.label for r in rows)
    print(f"generated {len(rows):,} transactions, {frauds:,} frauds ({frauds / len(rows):.2%}) "
          f"in {time.perf_counter() - started:.1f} s")
    windows = synthetic.window_dates(days=args.days, label_delay_days=args.label_delay_days)
    train_window = Window.of_days(date.fromisoformat(windows["train_from"]), date.fromisoformat(windows["train_to"]))
    test_window = Window.of_days(date.fromisoformat(windows["test_from"]), date.fromisoformat(windows["test_to"]))
    started = time.perf_counter()
    report, scores, model = evaluate(rows, train_window=train_window, test_window=test_window,
                                     label_delay_days=args.label_delay_days, seed=args.seed)
    print(f"evaluation (features, training, scoring) took {time.perf_counter() - started:.1f} s")
    print(json.dumps(report, indent=2))

    scenario = {r["transaction_id"]: r["scenario"] for r in generated}
    per = collections.defaultdict(list)
    for transaction_id, score in scores:
        per[scenario[transaction_id]].append(score)
    print("per pattern in the test window (rows; share scored >= 0.5, >= 0.8):")
    for name, values in sorted(per.items()):
        values = np.asarray(values)
        print(f"  {name:22s} {len(values):7,d}  {np.mean(values >= 0.5):.3f}  {np.mean(values >= 0.8):.3f}")

    started = time.perf_counter()
    _, matrix = features_for(rows, label_delay_days=args.label_delay_days, vocabulary=model.vocabulary,
                             wanted=lambda ts: True, end=float("inf"))
    elapsed = time.perf_counter() - started
    print(f"batch features: {len(rows):,} rows in {elapsed:.2f} s = {len(rows) / elapsed:,.0f} rows/s")
    started = time.perf_counter()
    model.score(matrix)
    elapsed = time.perf_counter() - started
    print(f"batch scoring: {len(matrix):,} rows in {elapsed:.2f} s = {len(matrix) / elapsed:,.0f} rows/s")
    return report, model, rows


def inline(args, model) -> None:
    os.environ.setdefault("QENEX_ENV", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from apps.fraud import runtime, scoring, services
    from apps.ledger.checks import PostingSubject
    from apps.ledger.services import account_open, post_batch

    rng = random.Random(args.seed)
    run = f"bench{int(time.time())}"
    customers = [account_open(owner_id=f"{run}-c{k}", account_type="CHECKING", currency="USD",
                              initial_balance="100000.00") for k in range(max(args.customers // 25, 10))]
    merchants = [account_open(owner_id=f"{run}-m{k}", account_type="CHECKING", currency="USD")
                 for k in range(40)]
    entries = [
        {"type": "TRANSFER", "from_account": c.public_id, "to_account": rng.choice(merchants).public_id,
         "amount": f"{rng.uniform(5, 200):.2f}", "currency": "USD", "idempotency_key": f"{run}-{c.public_id}-{j}"}
        for c in customers for j in range(30)
    ]
    started = time.perf_counter()
    for first in range(0, len(entries), 5000):
        post_batch(entries=entries[first:first + 5000], mode="atomic", actor="bench")
    print(f"inline set-up: {len(customers)} customers, {len(merchants)} merchants, {len(entries):,} transfers "
          f"posted in {time.perf_counter() - started:.1f} s")
    row = services.model_version_save(model=model, metrics={"bench": True}, actor="bench_fraud")
    services.model_version_promote(version=row.version, actor="bench_fraud")
    runtime.clear()
    loaded = runtime.current()
    subjects = [
        PostingSubject(entry_type="TRANSFER", amount_minor=rng.randint(500, 500000), currency="USD",
                       debit_account=rng.choice(customers).public_id, credit_account=rng.choice(merchants).public_id)
        for _ in range(args.samples)
    ]
    for subject in subjects[:50]:  # warm-up: connection, prepared statements, the fast path's tree lists
        scoring.score(loaded, scoring.from_posting(subject))
    timings, model_only, decisions = [], [], collections.Counter()
    for subject in subjects:
        started = time.perf_counter()
        scored = scoring.score(loaded, scoring.from_posting(subject))
        timings.append(time.perf_counter() - started)
        decisions[scored.decision] += 1
        started = time.perf_counter()
        loaded.model.score_one(scored.vector)
        model_only.append(time.perf_counter() - started)
    ms = 1000.0
    print(f"inline scoring of a transfer incl. look-ups ({len(timings)} samples): "
          f"p50 {percentile(timings, 0.5) * ms:.2f} ms, p99 {percentile(timings, 0.99) * ms:.2f} ms, "
          f"mean {statistics.mean(timings) * ms:.2f} ms; decisions {dict(decisions)}")
    print(f"model alone (score_one): p50 {percentile(model_only, 0.5) * ms:.2f} ms, "
          f"p99 {percentile(model_only, 0.99) * ms:.2f} ms")
    print(f"model {row.version} promoted in this database (roll back with the admin action or "
          "apps.fraud.services.model_version_rollback)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label-delay-days", type=int, default=7)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--skip-inline", action="store_true")
    args = parser.parse_args()
    _, model, _ = evaluation(args)
    if not args.skip_inline:
        inline(args, model)


if __name__ == "__main__":
    main()

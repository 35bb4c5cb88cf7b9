"""Train on one time window of a labelled CSV, score every transaction of a later one, print the metrics.

    manage.py fraud_evaluate --csv F --train-from D --train-to D --test-from D --test-to D
        [--label-delay-days 7] [--scores-out S] [--format json]

Nothing is written to the database or the model directory (``--scores-out`` writes ``transaction_id,score``).
Rows of customers whose processing is restricted or who were erased are left out, as by fraud_train (apps.privacy's
one check): measuring a model trained on their transactions is a use of them too. The report says how many.
"""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from apps.fraud.evaluation import WindowError, evaluate, stderr_progress
from apps.fraud.model import TrainingError

from ._common import left_out_note, permitted_rows_of, window


def _line(name: str, metrics: dict) -> str:
    parts = [f"{name}: average precision {metrics['average_precision']}, ROC AUC {metrics['roc_auc']}"]
    if metrics.get("card_precision_at_100") is not None:
        parts.append(f"card precision@100 {metrics['card_precision_at_100']}")
    for threshold in ("0.5", "0.8"):
        at = metrics.get(f"at_{threshold}")
        if at:
            parts.append(f"at {threshold}: precision {at['precision']} recall {at['recall']} "
                         f"FPR {at['false_positive_rate']} ({at['flagged']} flagged)")
    return "; ".join(parts)


class Command(BaseCommand):
    help = "Evaluate the fraud model on a later time window than it was trained on"

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        for name in ("--train-from", "--train-to", "--test-from", "--test-to"):
            parser.add_argument(name, required=True)
        parser.add_argument("--label-delay-days", type=int, default=7)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--scores-out")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")

    def handle(self, *args, **options):
        rows, left_out = permitted_rows_of(options["csv"])
        if left_out and not options["quiet"]:
            self.stderr.write(left_out_note(left_out))
        if not rows:
            raise CommandError(f"{options['csv']}: no rows")
        try:
            report, scores, _ = evaluate(
                rows,
                train_window=window(options["train_from"], options["train_to"], rows),
                test_window=window(options["test_from"], options["test_to"], rows),
                label_delay_days=options["label_delay_days"], seed=options["seed"],
                progress=None if options["quiet"] else stderr_progress,
            )
        except (TrainingError, WindowError) as exc:
            raise CommandError(str(exc)) from None
        report["privacy_left_out_rows"] = left_out
        if options["scores_out"]:
            with open(options["scores_out"], "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["transaction_id", "score"])
                writer.writerows((tid, f"{score:.6f}") for tid, score in scores)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(
            f"train {report['train_window']['from']}..{report['train_window']['to']} "
            f"({report['train']['rows']:,} rows, {report['train']['frauds']:,} frauds); test "
            f"{report['test_window']['from']}..{report['test_window']['to']} ({report['rows']:,} rows, "
            f"{report['frauds']:,} frauds); label delay {report['label_delay_days']} days"
            + (f"; {left_out_note(left_out)}" if left_out else "")
        )
        self.stdout.write(_line("model", report))
        self.stdout.write(_line("baseline (logistic regression)", report["baseline_logistic_regression"]))
        anomaly = report["anomaly_score_alone"]
        self.stdout.write(f"anomaly score alone: average precision {anomaly['average_precision']}, "
                          f"ROC AUC {anomaly['roc_auc']}")

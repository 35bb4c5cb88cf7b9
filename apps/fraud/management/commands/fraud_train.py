"""Train the fraud model on a labelled CSV; save a versioned artifact and register it (``--promote``: in production).

    manage.py fraud_train --csv F [--csv F2 ...] [--train-from D] [--train-to D] [--label-delay-days 7] [--promote]
        [--format json]

Several ``--csv`` files are merged in time order: e.g. ``fraud_export``'s file of the bank's own transactions and
analysts' labels beside a larger outside or synthetic one.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.fraud.evaluation import WindowError, stderr_progress, train_on
from apps.fraud.model import TrainingError
from apps.fraud.services import model_version_promote, model_version_save

from ._common import left_out_note, permitted_rows_of, window


class Command(BaseCommand):
    help = "Train the fraud model on a labelled CSV and register the artifact"

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, action="append", help="a labelled CSV (repeat to merge several)")
        parser.add_argument("--train-from")
        parser.add_argument("--train-to")
        parser.add_argument("--label-delay-days", type=int, default=7)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--promote", action="store_true", help="put the new version in production")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")

    def handle(self, *args, **options):
        # Not the rows of customers whose processing is restricted or who were erased (apps.privacy's one check).
        rows, left_out = permitted_rows_of(options["csv"])
        if left_out and not options["quiet"]:
            self.stderr.write(left_out_note(left_out))
        if not rows:
            raise CommandError(f"{', '.join(options['csv'])}: no rows")
        train_window = window(options["train_from"], options["train_to"], rows)
        progress = None if options["quiet"] else stderr_progress
        try:
            model = train_on(rows, train_window, label_delay_days=options["label_delay_days"], seed=options["seed"],
                             progress=progress)
        except (TrainingError, WindowError) as exc:
            raise CommandError(str(exc)) from None
        metrics = {key: model.info[key] for key in ("calibration_slice", "slice_rows", "slice_frauds")}
        row = model_version_save(model=model, metrics=metrics, actor="manage.py fraud_train")
        if options["promote"]:
            row = model_version_promote(version=row.version, actor="manage.py fraud_train")
        report = {"version": row.version, "status": row.status, "artifact": row.artifact_path,
                  "code_version": row.code_version, **model.info}
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            cal = model.info["calibration_slice"]
            self.stdout.write(
                f"{row.version} ({row.status}): {model.info['rows']:,} rows, {model.info['frauds']:,} frauds, "
                f"{model.info['data_from']} .. {model.info['data_to']}; calibration slice average precision "
                f"{cal['average_precision']}, ROC AUC {cal['roc_auc']}\n{row.artifact_path}"
            )

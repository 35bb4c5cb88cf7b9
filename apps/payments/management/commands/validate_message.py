"""``manage.py validate_message FILE [FILE ...]``: detect the payment format of each file and validate it.

Prints one line per problem (``FILE: line N: field: reason``; a network-rule warning as
``FILE: warning: line N: field: reason``) and a summary line per file (``FILE: <format> <message type>: OK``,
``...: OK, N warning(s)`` or ``...: N error(s)[, M warning(s)]``); ``--format json`` prints a JSON list instead,
for scripts. ``-`` reads standard input.

Errors make a file unusable (structure, record layout, totals, check digits, XSD); warnings are network rules
(NACHA SEC-code rules, Fedwire business function rules, SWIFT network validated rules, EPC SEPA rules) that the
network would refuse but that do not stop the file being read. ``--strict`` counts warnings as errors.
Exit status: 0 when every file passes, 1 when any file has errors (with ``--strict``: errors or warnings),
cannot be read or is of unknown format, 2 for usage errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.payments.formats.detect import ValidationReport, validate_file
from apps.payments.formats.errors import FieldError

EXIT_INVALID = 1
EXIT_USAGE = 2
STDIN = "-"


class Command(BaseCommand):
    help = "Detect the format of payment files (SWIFT MT, ISO 20022, NACHA, Fedwire, ISO 8583) and validate them."
    stealth_options = ("stdin",)  # call_command(..., stdin=io.BytesIO(...)) feeds "-" in tests

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        command_line_error = parser.error

        def error(message: str) -> None:
            if parser.called_from_command_line:
                command_line_error(message)  # argparse prints usage and exits with 2
            raise CommandError(f"Error: {message}", returncode=EXIT_USAGE)

        parser.error = error  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="file to validate; - reads standard input")
        parser.add_argument(
            "--format",
            dest="output_format",
            choices=("text", "json"),
            default="text",
            help="text (default): one line per error and a summary per file; json: a JSON list for scripts",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="count network-rule warnings (SEC codes, FAIM business rules, SWIFT network rules, SEPA) as errors",
        )

    def handle(self, *args: Any, files: list[str], output_format: str, strict: bool = False, **options: Any) -> None:
        stdin = options.get("stdin") or sys.stdin.buffer
        results = [(name, self._report(name, stdin)) for name in files]
        if output_format == "json":
            self.stdout.write(json.dumps([_as_json(name, report, strict) for name, report in results], indent=2))
        else:
            for name, report in results:
                for error in report.errors:
                    warning = error.is_warning and not strict
                    self.stdout.write(f"{name}: {'warning: ' if warning else ''}{error}")
                self.stdout.write(f"{name}: {_summary(report, strict)}")
        failed = sum(1 for _, report in results if not report.passes(strict=strict))
        if failed:
            raise CommandError(f"{failed} of {len(results)} file(s) failed validation", returncode=EXIT_INVALID)

    @staticmethod
    def _report(name: str, stdin: Any) -> ValidationReport:
        try:
            raw = stdin.read() if name == STDIN else Path(name).read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return ValidationReport("unreadable", "", [FieldError("file", f"cannot be read: {reason}")])
        return validate_file(raw)


def _summary(report: ValidationReport, strict: bool) -> str:
    what = " ".join(part for part in (report.format_name, report.message_type) if part and part != "UNKNOWN")
    errors = len(report.errors) if strict else len(report.fatal_errors)
    warnings = 0 if strict else len(report.warnings)
    warned = f"{warnings} warning(s)" if warnings else ""
    if not errors:
        return f"{what}: OK" + (f", {warned}" if warned else "")
    return f"{what}: {errors} error(s)" + (f", {warned}" if warned else "")


def _as_json(name: str, report: ValidationReport, strict: bool) -> dict[str, Any]:
    known = report.known_format and report.format_name != "unreadable"

    def severity(error: FieldError) -> str:
        return "error" if strict or not error.is_warning else "warning"

    return {
        "file": name,
        "format": report.format_name if known else None,
        "message_type": report.message_type if known else None,
        "valid": report.passes(strict=strict),
        "errors": [
            {"line": e.line, "field": e.field, "reason": e.reason, "severity": severity(e)} for e in report.errors
        ],
    }

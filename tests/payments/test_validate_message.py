"""``manage.py validate_message``: detect, validate, report; exit 0 (all valid), 1 (any problem), 2 (usage)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from .formats.broken import GOLDEN, broken_messages

ROOT = Path(__file__).resolve().parents[2]
VALID = {
    "SWIFT MT": GOLDEN / "swift_mt" / "built_mt103.fin",
    "ISO 20022": GOLDEN / "iso20022" / "pacs.008.001.08.xml",
    "NACHA ACH": GOLDEN / "nacha" / "ppd.ach",
    "Fedwire FAIM": GOLDEN / "fedwire" / "ctr.txt",
    "ISO 8583": GOLDEN / "iso8583" / "0100_hex_bitmap.bin",
}
SUMMARY_OF_VALID = {
    "SWIFT MT": "SWIFT MT MT103: OK",
    "ISO 20022": "ISO 20022 pacs.008.001.08: OK",
    "NACHA ACH": "NACHA ACH ACH PPD file: OK",
    "Fedwire FAIM": "Fedwire FAIM Fedwire CTR: OK",
    "ISO 8583": "ISO 8583 0100: OK",
}


@pytest.fixture
def broken_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for label, (format_name, raw) in broken_messages().items():
        path = tmp_path / f"broken_{label}"
        path.write_bytes(raw)
        files[format_name] = path
    return files


def run(*args: str, stdin: bytes | None = None) -> tuple[str, int]:
    out = io.StringIO()
    options = {"stdout": out}
    if stdin is not None:
        options["stdin"] = io.BytesIO(stdin)
    try:
        call_command("validate_message", *args, **options)
    except CommandError as exc:
        return out.getvalue(), exc.returncode
    return out.getvalue(), 0


# ------------------------------------------------------------------------------------------- call_command


@pytest.mark.parametrize("format_name", sorted(VALID))
def test_valid_file_prints_ok_summary_and_exits_0(format_name: str) -> None:
    output, code = run(str(VALID[format_name]))
    assert code == 0
    assert output.splitlines() == [f"{VALID[format_name]}: {SUMMARY_OF_VALID[format_name]}"]


@pytest.mark.parametrize("format_name", sorted(VALID))
def test_broken_file_prints_one_line_per_error_and_exits_1(format_name: str, broken_files: dict[str, Path]) -> None:
    path = broken_files[format_name]
    output, code = run(str(path))
    assert code == 1
    *problem_lines, summary = output.splitlines()
    assert problem_lines and all(line.startswith(f"{path}: ") for line in problem_lines)
    warnings = [line for line in problem_lines if line.startswith(f"{path}: warning: ")]
    errors = len(problem_lines) - len(warnings)
    assert errors, "a broken file has at least one error, not only network-rule warnings"
    assert summary.startswith(f"{path}: {format_name} ")
    assert summary.endswith(f": {errors} error(s)" + (f", {len(warnings)} warning(s)" if warnings else ""))


def test_error_lines_carry_line_number_field_and_reason() -> None:
    path = GOLDEN / "swift_mt" / "partner_mt103_many_errors.fin"
    output, code = run(str(path))
    assert code == 1
    assert f"{path}: line 2: :20:: reference '/BADREF' must not start or end with '/' or contain '//'" in output
    assert output.splitlines()[-1] == f"{path}: SWIFT MT MT103: 7 error(s)"


def test_one_bad_file_among_good_ones_makes_the_exit_code_1(broken_files: dict[str, Path]) -> None:
    output, code = run(*(str(p) for p in VALID.values()), str(broken_files["NACHA ACH"]))
    assert code == 1
    assert sum(line.endswith(": OK") for line in output.splitlines()) == len(VALID)


def test_missing_file_is_reported_and_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    output, code = run(str(missing))
    assert code == 1
    assert f"{missing}: file: cannot be read: No such file or directory" in output


def test_unknown_format_is_reported_and_exits_1(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"hello world")
    output, code = run(str(garbage))
    assert code == 1
    assert output.splitlines()[-1] == f"{garbage}: unknown format: 1 error(s)"
    assert "not recognised as any of" in output


def test_dash_reads_standard_input() -> None:
    output, code = run("-", stdin=VALID["Fedwire FAIM"].read_bytes())
    assert (output.strip(), code) == ("-: Fedwire FAIM Fedwire CTR: OK", 0)


def test_json_output_lists_every_file(broken_files: dict[str, Path]) -> None:
    output, code = run("--format", "json", str(VALID["ISO 20022"]), str(broken_files["ISO 20022"]))
    assert code == 1
    good, bad = json.loads(output)
    assert good == {
        "file": str(VALID["ISO 20022"]),
        "format": "ISO 20022",
        "message_type": "pacs.008.001.08",
        "valid": True,
        "errors": [],
    }
    assert bad["valid"] is False and bad["format"] == "ISO 20022"
    assert bad["errors"][0] == {
        "line": 7,
        "field": "GrpHdr/NbOfTxs",
        "reason": "NbOfTxs is 2 but the message carries 1 transaction(s)",
        "severity": "error",
    }


def test_json_output_of_an_unknown_file_has_null_format(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    output, code = run("--format", "json", str(empty))
    [entry] = json.loads(output)
    assert code == 1
    assert (entry["format"], entry["message_type"], entry["valid"]) == (None, None, False)
    assert entry["errors"][0]["reason"] == "unknown format: the file is empty"


@pytest.mark.parametrize("args", [(), ("--format", "xml", "x.fin")])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("validate_message", *args)
    assert raised.value.returncode == 2


# ------------------------------------------------------------------------------------------- subprocess


def manage(tmp_path: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "QENEX_ENV": "development", "QENEX_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run(
        [sys.executable, "manage.py", "validate_message", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_command_line_all_valid_files_exit_0(tmp_path: Path) -> None:
    result = manage(tmp_path, *(str(p) for p in VALID.values()))
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines == [f"{VALID[name]}: {summary}" for name, summary in SUMMARY_OF_VALID.items()]


def test_command_line_broken_files_exit_1(tmp_path: Path, broken_files: dict[str, Path]) -> None:
    result = manage(tmp_path, *(str(p) for p in broken_files.values()))
    assert result.returncode == 1
    stdout = result.stdout.decode()
    for format_name, path in broken_files.items():
        assert any(line.startswith(f"{path}: {format_name} ") and "error(s)" in line for line in stdout.splitlines())
    assert "5 of 5 file(s) failed validation" in result.stderr.decode()


def test_command_line_json_from_stdin(tmp_path: Path) -> None:
    result = manage(tmp_path, "--format", "json", "-", stdin=VALID["ISO 8583"].read_bytes())
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == [
        {"file": "-", "format": "ISO 8583", "message_type": "0100", "valid": True, "errors": []}
    ]


def test_command_line_usage_error_exits_2(tmp_path: Path) -> None:
    result = manage(tmp_path, "--format", "xml", "x.fin")
    assert result.returncode == 2
    assert b"invalid choice" in result.stderr

"""Errors (the file is unusable) versus network-rule warnings (the network would refuse it), in every family.

``validate_message`` fails a file for errors only; ``--strict`` fails it for warnings too. Each case starts from a
valid file and breaks one network rule (a warning) or one structural rule (an error).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.payments.formats.detect import validate_file
from apps.payments.formats.errors import ERROR, WARNING

FORMATS = Path(__file__).parent
GOLDEN = FORMATS / "golden"
NACHA = FORMATS / "interop" / "nacha" / "files"


def _web_with_payment_type(code: str) -> bytes:
    """A WEB file whose entries' payment type code (positions 77-78) is ``code``: a SEC rule, not the layout."""
    lines = (NACHA / "web-credit.ach").read_text().splitlines()
    return ("\n".join(line[:76] + code + line[78:] if line.startswith("6") else line for line in lines) + "\n").encode()


def _nacha_bad_check_digit() -> bytes:
    lines = (NACHA / "web-credit.ach").read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("6"))
    line = lines[index]
    lines[index] = line[:11] + str((int(line[11]) + 1) % 10) + line[12:]  # the RDFI routing check digit
    return ("\n".join(lines) + "\n").encode()


def _fedwire(old: str, new: str) -> bytes:
    return (GOLDEN / "fedwire" / "ctr.txt").read_bytes().replace(old.encode(), new.encode(), 1)


def _mt103(old: str, new: str) -> bytes:
    raw = (GOLDEN / "swift_mt" / "built_mt103.fin").read_bytes()
    assert old.encode() in raw
    return raw.replace(old.encode(), new.encode(), 1)


# name -> (raw, the severity the break must have, a word the reason carries)
CASES = {
    "nacha WEB payment type (SEC rule)": (_web_with_payment_type("X "), WARNING, "WEB payment type"),
    "nacha routing check digit": (_nacha_bad_check_digit(), ERROR, "check digit"),
    "fedwire CTR with transaction type COV (FAIM rule)": (_fedwire("{3600}CTR", "{3600}CTRCOV"), WARNING, "COV"),
    "fedwire amount not 12 digits": (_fedwire("{2000}000001234567", "{2000}12345"), ERROR, "12 digits"),
    "MT103 OUR with :71F: (network rule)": (_mt103(":71A:SHA", ":71A:OUR"), WARNING, ":71A: is OUR"),
    "MT103 unknown charges code": (_mt103(":71A:SHA", ":71A:XYZ"), ERROR, "71A"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_break_has_its_severity(name: str) -> None:
    raw, severity, word = CASES[name]
    report = validate_file(raw)
    assert report.errors, "the break is found"
    assert {error.severity for error in report.errors} == {severity}, report.errors
    assert any(word in f"{error.field} {error.reason}" for error in report.errors), report.errors
    assert report.usable is (severity == WARNING)
    assert report.valid is False  # strictly, every break counts


def run(*args: str) -> tuple[list[str], int]:
    out = io.StringIO()
    try:
        call_command("validate_message", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue().splitlines(), exc.returncode
    return out.getvalue().splitlines(), 0


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for index, (name, (raw, _, _)) in enumerate(sorted(CASES.items())):
        path = tmp_path / f"case{index}"
        path.write_bytes(raw)
        paths[name] = path
    return paths


@pytest.mark.parametrize("name", [name for name, case in sorted(CASES.items()) if case[1] == WARNING])
def test_a_network_rule_break_is_a_warning_and_strict_makes_it_an_error(name: str, files: dict[str, Path]) -> None:
    path = files[name]
    lines, code = run(str(path))
    *problems, summary = lines
    assert code == 0
    assert problems and all(line.startswith(f"{path}: warning: ") for line in problems)
    assert summary.endswith(f": OK, {len(problems)} warning(s)")

    strict_lines, strict_code = run("--strict", str(path))
    *strict_problems, strict_summary = strict_lines
    assert strict_code == 1
    assert [line.replace(f"{path}: ", "", 1) for line in strict_problems] == [
        line.replace(f"{path}: warning: ", "", 1) for line in problems
    ]
    assert strict_summary.endswith(f": {len(problems)} error(s)")


@pytest.mark.parametrize("name", [name for name, case in sorted(CASES.items()) if case[1] == ERROR])
def test_an_error_fails_with_or_without_strict(name: str, files: dict[str, Path]) -> None:
    for args in ((), ("--strict",)):
        lines, code = run(*args, str(files[name]))
        assert code == 1
        assert "error(s)" in lines[-1]


def test_json_marks_each_problem_with_its_severity(files: dict[str, Path]) -> None:
    import json

    warning_case = files["fedwire CTR with transaction type COV (FAIM rule)"]
    lines, code = run("--format", "json", str(warning_case))
    [entry] = json.loads("\n".join(lines))
    assert code == 0 and entry["valid"] is True
    assert {error["severity"] for error in entry["errors"]} == {"warning"}
    lines, code = run("--format", "json", "--strict", str(warning_case))
    [entry] = json.loads("\n".join(lines))
    assert code == 1 and entry["valid"] is False
    assert {error["severity"] for error in entry["errors"]} == {"error"}


def test_the_exit_codes_keep_their_meaning(files: dict[str, Path], tmp_path: Path) -> None:
    valid = GOLDEN / "nacha" / "ppd.ach"
    assert run(str(valid))[1] == 0 and run("--strict", str(valid))[1] == 0
    unknown = tmp_path / "unknown.txt"
    unknown.write_bytes(b"hello")
    assert run(str(unknown))[1] == 1
    assert run("--strict")[1] == 2  # usage: no file

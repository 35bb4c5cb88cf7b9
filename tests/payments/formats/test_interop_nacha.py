"""The NACHA interop corpus (files other software wrote: ``interop/nacha/SOURCES.md``): our verdict on every file,
and how often it agrees with the source's, for the files the source calls valid and invalid separately."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from apps.payments.formats import nacha

CORPUS = Path(__file__).parent / "interop" / "nacha"
LABELS = list(csv.DictReader((CORPUS / "labels.csv").open()))


def verdict(name: str) -> tuple[str, list]:
    _, errors = nacha.validate_raw((CORPUS / "files" / name).read_bytes())
    return ("invalid" if errors else "valid"), errors


@pytest.mark.parametrize("label", LABELS, ids=[row["file"] for row in LABELS])
def test_our_verdict_on_every_file(label):
    ours, errors = verdict(label["file"])
    assert ours == label["our_verdict"], errors[:5]
    if ours != label["source_verdict"]:
        assert label["note"], "every disagreement with the source says why"


def test_every_file_is_labelled_and_the_agreement_is_printed(capsys):
    files = {p.name for p in (CORPUS / "files").iterdir()}
    assert files == {row["file"] for row in LABELS}
    lines = []
    for side in ("valid", "invalid"):
        rows = [row for row in LABELS if row["source_verdict"] == side]
        agree = sum(verdict(row["file"])[0] == side for row in rows)
        lines.append(f"NACHA interop, files the source calls {side}: {agree}/{len(rows)} agree")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    valid = [row for row in LABELS if row["source_verdict"] == "valid"]
    assert sum(verdict(row["file"])[0] == "valid" for row in valid) >= 0.8 * len(valid)


def _lines(name: str) -> list[str]:
    return (CORPUS / "files" / name).read_text().splitlines()


def _errors(lines: list[str]) -> list:
    return nacha.validate_raw(("\n".join(lines) + "\n").encode())[1]


def _replace(line: str, start: int, text: str) -> str:
    return line[: start - 1] + text + line[start - 1 + len(text) :]


def test_sec_rules_refuse_what_the_sec_code_does_not_allow():
    # an RCK entry above $2,500.00 (and the batch totals adjusted so only the rule speaks)
    lines = _lines("rck-debit.ach")
    entry = next(i for i, line in enumerate(lines) if line.startswith("6"))
    assert any(
        "at most 250000" in e.reason
        for e in _errors([*lines[:entry], _replace(lines[entry], 30, "0000250001"), *lines[entry + 1 :]])
    )
    # a POS entry without its addenda 02
    lines = _lines("pos-debit.ach")
    without = [line for line in lines if not line.startswith("702")]
    assert any("exactly one addenda 02" in e.reason for e in _errors(without))
    # an ENR batch whose description is not AUTOENROLL
    lines = _lines("enr-read.ach")
    header = next(i for i, line in enumerate(lines) if line.startswith("5"))
    lines[header] = _replace(lines[header], 54, "ENROLMENT ")
    assert any("AUTOENROLL" in e.reason for e in _errors(lines))


def test_a_blank_effective_date_is_refused_outside_enr_and_return_batches():
    lines = _lines("ppd-debit.ach")
    header = next(i for i, line in enumerate(lines) if line.startswith("5"))
    lines[header] = _replace(lines[header], 70, "      ")
    assert any(e.field.endswith("effective_entry_date") for e in _errors(lines))

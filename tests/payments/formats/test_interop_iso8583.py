"""The ISO 8583 interop corpus (messages pyiso8583 wrote: ``interop/iso8583/SOURCES.md``): our verdict on every
file, the agreement for the files labelled valid and invalid separately, and element-by-element agreement with
pyiso8583's decoder on the valid ones."""

from __future__ import annotations

import csv
from pathlib import Path

import iso8583 as pyiso8583
import pytest
from iso8583.specs import default_ascii

from apps.payments.formats import iso8583
from apps.payments.formats.detect import validate_file

CORPUS = Path(__file__).parent / "interop" / "iso8583"
LABELS = list(csv.DictReader((CORPUS / "labels.csv").open()))


def raw_of(name: str) -> bytes:
    return (CORPUS / "files" / name).read_bytes()


def verdict(name: str) -> str:
    return "valid" if validate_file(raw_of(name)).valid else "invalid"


@pytest.mark.parametrize("label", LABELS, ids=[row["file"] for row in LABELS])
def test_our_verdict_on_every_file(label: dict[str, str]) -> None:
    report = validate_file(raw_of(label["file"]))
    assert ("valid" if report.valid else "invalid") == label["label"], (label["why"], report.errors)


def test_every_file_is_labelled_and_the_agreement_is_printed() -> None:
    assert {p.name for p in (CORPUS / "files").iterdir()} == {row["file"] for row in LABELS}
    lines = []
    for side in ("valid", "invalid"):
        rows = [row for row in LABELS if row["label"] == side]
        agree = sum(verdict(row["file"]) == side for row in rows)
        lines.append(f"ISO 8583 interop (pyiso8583), files labelled {side}: {agree}/{len(rows)} agree")
    print("\n" + "\n".join(lines))
    assert all(verdict(row["file"]) == row["label"] for row in LABELS)


@pytest.mark.parametrize("name", [row["file"] for row in LABELS if row["label"] == "valid"])
def test_every_element_we_read_is_what_pyiso8583_reads(name: str) -> None:
    raw = raw_of(name)
    theirs, _ = pyiso8583.decode(raw, default_ascii)
    ours = iso8583.parse(raw)
    numbers = sorted(int(key) for key in theirs if key.isdigit() and key != "1")
    assert ours.present_elements == numbers
    for number in numbers:
        value = ours.element(number)
        if isinstance(value, bytes):
            value = value.hex().upper()
        elif number == 4:
            value = f"{value:012d}"
        spec = iso8583.elements_for(ours.mti)[number]
        expected = theirs[str(number)]
        if spec.kind in ("an", "ans") and not spec.variable:
            expected = expected.rstrip(" ")  # we strip the right padding of fixed text elements
        assert value == expected, number


def test_what_we_build_pyiso8583_reads_back() -> None:
    for row in LABELS:
        if row["label"] != "valid":
            continue
        ours = iso8583.parse(raw_of(row["file"]))
        rebuilt = iso8583.build_iso8583_message(ours)
        assert rebuilt == raw_of(row["file"]), row["file"]  # byte-stable round trip
        theirs, _ = pyiso8583.decode(rebuilt, default_ascii)
        assert theirs["t"] == ours.mti


@pytest.mark.parametrize("name", ["0100_truncated.bin", "0100_trailing_bytes.bin", "0100_bad_llvar_prefix.bin"])
def test_layout_breaks_are_refused_by_pyiso8583_too(name: str) -> None:
    with pytest.raises(pyiso8583.DecodeError):
        pyiso8583.decode(raw_of(name), default_ascii)

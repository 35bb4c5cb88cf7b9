"""Our verdict on statement files other producers wrote (see interop/SOURCES.md), with agreement per family.

Each file carries a label (valid / invalid) from its source's own tests or from the spec. Where QENEX disagrees
on purpose, labels.json says why (``disagreement``) and the test expects the opposite verdict, so a change in
either direction shows. Run with ``-s`` to see the agreement table (README, Payment formats, quotes it).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from apps.payments.formats.detect import validate_file

CORPUS = Path(__file__).parent / "interop"
LABELS: dict[str, dict] = json.loads((CORPUS / "labels.json").read_text())


def verdict(name: str) -> str:
    return "valid" if validate_file((CORPUS / name).read_bytes()).valid else "invalid"


@pytest.mark.parametrize("name", sorted(LABELS))
def test_our_verdict_on_each_partner_file(name: str) -> None:
    label = LABELS[name]
    expected = label["label"]
    if "disagreement" in label:
        expected = "invalid" if expected == "valid" else "valid"
    assert verdict(name) == expected, (name, label)


def test_every_corpus_file_is_labelled() -> None:
    # interop/nacha/ and interop/iso8583/ have their own labels (test_interop_nacha.py, test_interop_iso8583.py)
    own_labels = ("nacha", "iso8583")
    files = {
        str(path.relative_to(CORPUS))
        for path in CORPUS.glob("*/*")
        if path.relative_to(CORPUS).parts[0] not in own_labels
    }
    assert files == set(LABELS)


def test_agreement_per_family(capsys) -> None:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for name, label in LABELS.items():
        agreed = verdict(name) == label["label"]
        tally = counts[(label["family"], label["label"])]
        tally[0] += agreed
        tally[1] += 1
    with capsys.disabled():
        print("\nfamily    label    agree/files")
        for (family, label), (agreed, total) in sorted(counts.items()):
            print(f"{family:<9} {label:<8} {agreed}/{total}")
    # No valid-by-label file is refused except the recorded disagreements, and no broken file is accepted.
    assert all(agreed == total or label == "valid" for (_, label), (agreed, total) in counts.items()), (
        "an invalid-labelled file was accepted"
    )

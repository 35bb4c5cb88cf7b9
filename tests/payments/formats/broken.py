"""Golden files of every format, and one deliberately broken message per format, shared by the detection,
command and fuzz tests."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"

#: golden sub-directory -> the FORMAT_NAME its files must be detected as
FORMAT_OF_DIRECTORY = {
    "swift_mt": "SWIFT MT",
    "iso20022": "ISO 20022",
    "nacha": "NACHA ACH",
    "fedwire": "Fedwire FAIM",
    "iso8583": "ISO 8583",
}
#: golden files that are broken on purpose (a partner's file full of mistakes)
INVALID_GOLDEN = {"swift_mt/partner_mt103_many_errors.fin"}


def golden_files() -> list[Path]:
    return sorted(p for p in GOLDEN.rglob("*") if p.is_file())


def expected_format(path: Path) -> str:
    return FORMAT_OF_DIRECTORY[path.relative_to(GOLDEN).parts[0]]


def _read(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def broken_messages() -> dict[str, tuple[str, bytes]]:
    """Return {label: (format name, bytes)}: a valid golden file with one realistic mistake."""
    return {
        "swift_mt": ("SWIFT MT", _read("swift_mt/partner_mt103_many_errors.fin")),
        "iso20022": (
            "ISO 20022",
            _read("iso20022/pacs.008.001.08.xml").replace(b"<NbOfTxs>1</NbOfTxs>", b"<NbOfTxs>2</NbOfTxs>", 1),
        ),
        "nacha": ("NACHA ACH", _read("nacha/ppd.ach").replace(b"\n6", b"\n7", 1)),
        "fedwire": ("Fedwire FAIM", _read("fedwire/ctr.txt").replace(b"{2000}", b"{2000}X", 1)),
        "iso8583": ("ISO 8583", _read("iso8583/0100_hex_bitmap.bin")[:-5]),
    }

"""OFAC's legacy CSV files: ``sdn.csv`` with ``alt.csv`` (aliases) and ``add.csv`` (addresses) beside it.

Columns (OFAC's "SDN data specification"): sdn.csv ``ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``; alt.csv ``ent_num, alt_num, alt_type, alt_name,
alt_remarks``; add.csv ``ent_num, add_num, address, city/state/postal, country, add_remarks``. ``-0-`` is empty;
the files may end with a DOS end-of-file byte (0x1A). Dates of birth, nationalities and weak aliases live in the
remarks (``DOB 26 Dec 1976; POB Baghdad, Iraq; nationality Iraq; a.k.a. 'ABU X'``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from . import ListFileError, ParsedEntry, ParsedList, ParsedName, unique

EMPTY = "-0-"
SDN_TYPES = {"individual": "individual", "": "entity", "vessel": "vessel", "aircraft": "aircraft"}
ALT_KINDS = {"aka": "aka", "fka": "fka", "nka": "nka"}
MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}

_DOB = re.compile(r"^(?:alt\.\s+)?DOB\s+(.+)$", re.IGNORECASE)
_NATIONALITY = re.compile(r"^(?:alt\.\s+)?(?:nationality|citizen)\s+(.+)$", re.IGNORECASE)
_POB = re.compile(r"^(?:alt\.\s+)?POB\s+(.+)$", re.IGNORECASE)
_AKA = re.compile(r"^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'(.+)'$", re.IGNORECASE)
_REMARK_AKA_KIND = {"a.k.a.": "weak_aka", "f.k.a.": "fka", "n.k.a.": "nka"}
_DATE = re.compile(r"^(?:(\d{1,2})\s+)?(?:([A-Za-z]{3})\s+)?(\d{4})$")
_RANGE = re.compile(r"^(\d{4})\s+to\s+(\d{4})$")


def _value(cell: str) -> str:
    cell = (cell or "").strip()
    return "" if cell == EMPTY else cell


def _read_rows(path: Path, columns: int) -> tuple[list[list[str]], bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ListFileError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # older OFAC files were Windows-1252
    rows = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if not row or row == ["\x1a"] or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != columns:
            raise ListFileError(f"{path}: line {line_no}: {len(row)} columns, expected {columns} (is it OFAC CSV?)")
        rows.append(row)
    return rows, raw


def parse_date_of_birth(text: str) -> list[str]:
    """``26 Dec 1976`` -> 1976-12-26, ``Mar 1956`` -> 1956-03, ``circa 1975`` -> ~1975, ``1960 to 1965``."""
    text = text.strip().rstrip(".")
    approx = ""
    if text.lower().startswith("circa "):
        approx, text = "~", text[6:].strip()
    found = _RANGE.match(text)
    if found:
        return [f"{approx}{found[1]}..{found[2]}"]
    found = _DATE.match(text)
    if not found:
        return []
    day, month, year = found[1], found[2], found[3]
    if month and month.lower() not in MONTHS:
        return []
    value = year
    if month:
        value += f"-{MONTHS[month.lower()]:02d}"
        if day:
            value += f"-{int(day):02d}"
    return [approx + value]


def _from_remarks(remarks: str, entry: ParsedEntry) -> None:
    for part in remarks.rstrip(".").split(";"):
        part = part.strip()
        if found := _DOB.match(part):
            entry.dates_of_birth += parse_date_of_birth(found[1])
        elif found := _NATIONALITY.match(part):
            entry.nationalities.append(found[1].strip().rstrip("."))
        elif found := _POB.match(part):
            entry.countries.append(found[1].split(",")[-1].strip().rstrip("."))
        elif found := _AKA.match(part):
            entry.names.append(ParsedName(_REMARK_AKA_KIND[found[1].lower()], found[2].strip()))


def parse_ofac(path: Path) -> ParsedList:
    """Parse ``sdn.csv`` (any file name) and, when they sit beside it, ``alt.csv`` and ``add.csv``."""
    path = Path(path)
    rows, raw = _read_rows(path, 12)
    digest = hashlib.sha256(raw)
    sources = [path.name]
    entries: dict[str, ParsedEntry] = {}
    warnings: list[str] = []
    for row in rows:
        ent_num, name, sdn_type, program = row[0].strip(), _value(row[1]), _value(row[2]).lower(), _value(row[3])
        if not ent_num.isdigit() or not name:
            raise ListFileError(f"{path}: entry {ent_num!r}: an OFAC entry needs a numeric ent_num and a name")
        if sdn_type not in SDN_TYPES:
            raise ListFileError(f"{path}: entry {ent_num}: unknown SDN_Type {sdn_type!r}")
        if ent_num in entries:
            # Two rows under one id: keep the first (the id's meaning so far) and say so; never drop it silently.
            warnings.append(f"{path.name}: ent_num {ent_num} appears again ({name!r}); the first row was kept")
            continue
        remarks = _value(row[11])
        entry = ParsedEntry(
            entry_id=ent_num,
            entity_type=SDN_TYPES[sdn_type],
            primary_name=name,
            names=[ParsedName("primary", name)],
            programs=unique(p.strip(" []") for p in program.split("] [")),
            remarks=remarks,
        )
        if flag := _value(row[9]):
            entry.countries.append(flag)
        _from_remarks(remarks, entry)
        entries[ent_num] = entry
    for extra, columns in (("alt.csv", 5), ("add.csv", 6)):
        extra_path = path.with_name(extra)
        if not extra_path.is_file():
            continue
        extra_rows, extra_raw = _read_rows(extra_path, columns)
        digest.update(extra_raw)
        sources.append(extra)
        for row in extra_rows:
            entry = entries.get(row[0].strip())
            if entry is None:
                continue  # OFAC's files are cut at different times; an orphan row names nothing listed
            if extra == "alt.csv" and _value(row[3]):
                entry.names.append(ParsedName(ALT_KINDS.get(_value(row[2]).lower(), "aka"), _value(row[3])))
            elif extra == "add.csv" and _value(row[4]):
                entry.countries.append(_value(row[4]))
    for entry in entries.values():
        entry.dates_of_birth = unique(entry.dates_of_birth)
        entry.nationalities = unique(entry.nationalities)
        entry.countries = unique(entry.countries)
        seen: set[str] = set()
        names = []
        for n in entry.names:
            if n.name.upper() not in seen:
                seen.add(n.name.upper())
                names.append(n)
        entry.names = names
    return ParsedList(entries=list(entries.values()), sources=sources, sha256=digest.hexdigest(), warnings=warnings)

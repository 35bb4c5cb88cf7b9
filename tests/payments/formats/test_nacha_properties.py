"""Property-based NACHA tests: random valid files round-trip; no input makes the reader raise."""

from __future__ import annotations

import string
from datetime import date, time

from anyascii import anyascii
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.payments.formats import nacha
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.nacha import (
    AchFile,
    Addenda05,
    Batch,
    BatchHeader,
    EntryDetail,
    FileHeader,
    aba_check_digit,
    build_ach_file,
    make_trace_number,
    parse_ach_file,
)

from .test_nacha_golden import GOLDEN, SAMPLES

PROPERTY_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ODFI = "09100001"


FIRST = string.ascii_uppercase + string.digits
REST = string.ascii_letters + string.digits + " .,&/-"


def text(max_size: int, required: bool = False) -> st.SearchStrategy[str]:
    """ACH text as a partner would type it: starts with a letter or digit, no trailing spaces."""
    strategy = st.builds(
        lambda first, rest: (first + rest).rstrip(), st.sampled_from(FIRST), st.text(REST, max_size=max_size - 1)
    )
    return strategy if required else st.one_of(st.just(""), strategy)


routing_numbers = st.integers(0, 99_999_999).map(lambda n: f"{n:08d}{aba_check_digit(f'{n:08d}')}")
amounts = st.one_of(st.sampled_from([1, 9_999_999_999]), st.integers(min_value=1, max_value=9_999_999_999))


@st.composite
def entries(draw: st.DrawFn, sec: str, sequence: int) -> EntryDetail:
    code = draw(st.sampled_from([22, 27, 32, 37, 23, 28]))
    amount = 0 if code in (23, 28) else draw(amounts)
    addenda = tuple(draw(st.lists(text(80).map(Addenda05), max_size=1)))
    return EntryDetail(
        transaction_code=code,
        rdfi_routing=draw(routing_numbers),
        account_number=draw(text(17, required=True)),
        amount=amount,
        receiver_name=draw(text(22)),
        trace_number=make_trace_number(ODFI, sequence),
        identification_number=draw(text(15)),
        discretionary_data=draw(st.sampled_from(["R", "S"])) if sec == "WEB" else draw(st.sampled_from(["", "AB"])),
        addenda=addenda,
    )


@st.composite
def ach_files(draw: st.DrawFn) -> AchFile:
    header = FileHeader(
        immediate_destination=draw(routing_numbers),
        immediate_origin=f"{draw(st.integers(0, 9_999_999_999)):010d}",
        file_creation_date=draw(st.dates(date(1980, 1, 1), date(2079, 12, 31))),
        file_creation_time=draw(st.one_of(st.none(), st.times().map(lambda t: time(t.hour, t.minute)))),
        file_id_modifier=draw(st.sampled_from("ABCXYZ0189")),
        immediate_destination_name=draw(text(23)),
        immediate_origin_name=draw(text(23)),
        reference_code=draw(text(8)),
    )
    batches = []
    sequence = 0
    for number in range(1, draw(st.integers(1, 3)) + 1):
        sec = draw(st.sampled_from(["PPD", "CCD", "WEB"]))
        batch_entries = []
        for _ in range(draw(st.integers(1, 4))):
            sequence += 1
            batch_entries.append(draw(entries(sec, sequence)))
        batch_header = BatchHeader(
            service_class_code=200,
            company_name=draw(text(16, required=True)),
            company_identification=draw(text(10, required=True)),
            standard_entry_class=sec,
            company_entry_description=draw(text(10, required=True)),
            effective_entry_date=draw(st.dates(date(1980, 1, 1), date(2079, 12, 31))),
            odfi_identification=ODFI,
            batch_number=number,
            company_discretionary_data=draw(text(20)),
            company_descriptive_date=draw(text(6)),
        )
        batches.append(Batch(batch_header, batch_entries))
    return AchFile(header, batches)


@settings(PROPERTY_SETTINGS, max_examples=80)  # whole files: generation dominates the runtime
@given(ach_files(), st.sampled_from(["\n", "\r\n", ""]))
def test_random_valid_files_round_trip(ach_file: AchFile, line_ending: str) -> None:
    raw = build_ach_file(ach_file, line_ending=line_ending)
    assert parse_ach_file(raw) == ach_file
    assert nacha.validate_raw(raw)[1] == []


@PROPERTY_SETTINGS
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
        min_size=1,
        max_size=30,
    )
)
def test_non_ascii_names_are_transliterated_or_rejected(name: str) -> None:
    ach_file = AchFile(
        FileHeader("091000019", "1234567890", date(2024, 1, 5), None, "A"),
        [
            Batch(
                BatchHeader(200, "ACME", "1234567890", "PPD", "PAYROLL", date(2024, 1, 8), ODFI, 1),
                [EntryDetail(22, "021000021", "1", 100, name, make_trace_number(ODFI, 1))],
            )
        ],
    )
    try:
        raw = build_ach_file(ach_file)
    except MessageValidationError as exc:
        assert {e.field for e in exc.errors} == {"entry_detail.receiver_name"}
        return
    assert parse_ach_file(raw).batches[0].entries[0].receiver_name == anyascii(name).rstrip()


def _reader_never_raises_anything_else(raw: bytes) -> None:
    message_type, errors = nacha.validate_raw(raw)
    assert isinstance(message_type, str)
    try:
        nacha.parse(raw)
    except MessageValidationError as exc:
        assert exc.errors
    nacha.looks_like(raw)


@PROPERTY_SETTINGS
@given(st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    _reader_never_raises_anything_else(raw)


@PROPERTY_SETTINGS
@given(
    st.sampled_from(sorted(SAMPLES)),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.sampled_from(["set", "insert", "delete"])),
        min_size=1,
        max_size=6,
    ),
)
def test_fuzz_mutations_of_valid_files(name: str, mutations: list[tuple[int, int, str]]) -> None:
    data = bytearray((GOLDEN / name).read_bytes())
    for position, value, action in mutations:
        position %= len(data) or 1
        if action == "set":
            data[position] = value
        elif action == "insert":
            data.insert(position, value)
        elif data:
            del data[position]
    _reader_never_raises_anything_else(bytes(data))


@PROPERTY_SETTINGS
@given(st.sampled_from(sorted(SAMPLES)), st.integers(0, 939), st.sampled_from(b"0123456789 AZ*\\9"))
def test_single_character_changes_are_reported_or_harmless(name: str, position: int, value: int) -> None:
    """Changing one character either still gives a valid file or is reported, never a crash."""
    data = bytearray((GOLDEN / name).read_bytes())
    position %= len(data)
    if data[position] == ord("\n"):
        return
    data[position] = value
    _reader_never_raises_anything_else(bytes(data))

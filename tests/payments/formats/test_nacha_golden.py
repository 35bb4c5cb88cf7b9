"""NACHA golden files: the exact bytes our builder emits for fixed inputs, one per batch kind.

The ``sample_*`` factories are the fixed inputs; the other NACHA test modules reuse them.
Regenerate a golden file (``REGENERATE_GOLDEN=1``) only after checking the new bytes against the
NACHA record layouts by eye.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path

import pytest

from apps.payments.formats import nacha
from apps.payments.formats.nacha import (
    AchFile,
    Addenda05,
    Batch,
    BatchHeader,
    EntryDetail,
    FileHeader,
    IATAddenda10,
    IATAddenda11,
    IATAddenda12,
    IATAddenda13,
    IATAddenda14,
    IATAddenda15,
    IATAddenda16,
    IATAddenda17,
    IATAddenda18,
    IATBatchHeader,
    IATEntryDetail,
    build_ach_file,
    make_trace_number,
    notification_of_change_for,
    return_entry_for,
)

GOLDEN = Path(__file__).parent / "golden" / "nacha"
ODFI = "09100001"  # first 8 digits of 091000019 (valid ABA)


def sample_file_header(modifier: str = "A") -> FileHeader:
    return FileHeader(
        immediate_destination="091000019",
        immediate_origin="1234567890",
        file_creation_date=date(2024, 1, 5),
        file_creation_time=time(9, 30),
        file_id_modifier=modifier,
        immediate_destination_name="FED RES BANK",
        immediate_origin_name="QENEX BANK",
        reference_code="REF00001",
    )


def sample_batch_header(sec: str = "PPD", service_class: int = 200, batch_number: int = 1, **overrides) -> BatchHeader:
    values = dict(
        service_class_code=service_class,
        company_name="ACME CORP",
        company_identification="1234567890",
        standard_entry_class=sec,
        company_entry_description="PAYROLL",
        effective_entry_date=date(2024, 1, 8),
        odfi_identification=ODFI,
        batch_number=batch_number,
        company_descriptive_date="JAN 24",
    )
    values.update(overrides)
    return BatchHeader(**values)


def sample_ppd_file() -> AchFile:
    entries = [
        EntryDetail(22, "021000021", "12345678901", 150_000, "JOHN SMITH", make_trace_number(ODFI, 1), "EMP0001"),
        EntryDetail(
            32,
            "011000015",
            "998877",
            1,
            "MARIA GARCIA",
            make_trace_number(ODFI, 2),
            "EMP0002",
            addenda=(Addenda05("BONUS JANUARY"),),
        ),
        EntryDetail(27, "091000019", "555000111", 9_999_999_999, "BIG DEBTOR", make_trace_number(ODFI, 3)),
        EntryDetail(23, "021000021", "222333444", 0, "PRENOTE PERSON", make_trace_number(ODFI, 4)),
    ]
    return AchFile(sample_file_header(), [Batch(sample_batch_header("PPD"), entries)])


def sample_ccd_web_tel_file() -> AchFile:
    ccd = Batch(
        sample_batch_header("CCD", 220, 1, company_entry_description="VENDOR PAY"),
        [EntryDetail(22, "021000021", "7700001", 2_500_00, "SUPPLIER INC", make_trace_number(ODFI, 1), "INV-77")],
    )
    web = Batch(
        sample_batch_header("WEB", 225, 2, company_entry_description="ONLINE PMT"),
        [
            EntryDetail(
                27, "011000015", "4400002", 19_99, "JANE DOE", make_trace_number(ODFI, 2), discretionary_data="S"
            )
        ],
    )
    tel = Batch(
        sample_batch_header("TEL", 225, 3, company_entry_description="PHONE PMT"),
        [
            EntryDetail(
                27, "091000019", "4400003", 45_00, "BOB JONES", make_trace_number(ODFI, 3), discretionary_data="R"
            )
        ],
    )
    return AchFile(sample_file_header("B"), [ccd, web, tel])


def sample_ctx_file() -> AchFile:
    addenda = (
        Addenda05("ISA*00*          *00*          *ZZ*QENEX          *ZZ*SUPPLIER       *240105~"),
        Addenda05("BPR*C*1500.00*C*ACH*CTX*01*091000019*DA*1234567*1234567890**01*021000021~"),
        Addenda05("RMR*IV*INV-1001**1500.00~SE*4*0001~"),
    )
    entry = EntryDetail(
        22, "021000021", "30001", 150_000, "SUPPLIER INC", make_trace_number(ODFI, 1), "VENDOR-42", addenda=addenda
    )
    return AchFile(
        sample_file_header("C"),
        [Batch(sample_batch_header("CTX", 220, 1, company_entry_description="EDI PAY"), [entry])],
    )


def sample_iat_file() -> AchFile:
    header = IATBatchHeader(
        service_class_code=220,
        foreign_exchange_indicator="FF",
        foreign_exchange_reference_indicator="3",
        foreign_exchange_reference="",
        iso_destination_country_code="US",
        originator_identification="1234567890",
        company_entry_description="REMITTANCE",
        iso_originating_currency_code="USD",
        iso_destination_currency_code="USD",
        effective_entry_date=date(2024, 1, 8),
        odfi_identification=ODFI,
        batch_number=1,
    )
    addenda = (
        IATAddenda10("REM", 100_000, "MARIA GARCIA"),
        IATAddenda11("QENEX CUSTOMER LTD", "1 HIGH STREET"),
        IATAddenda12("LONDON*ENGLAND\\", "GB*EC1A1BB\\"),
        IATAddenda13("QENEX BANK", "01", "091000019", "US"),
        IATAddenda14("RECEIVING BANK", "01", "021000021", "US"),
        IATAddenda15("123 MAIN STREET", "RCV001"),
        IATAddenda16("NEW YORK*NY\\", "US*10001\\"),
        IATAddenda17("FAMILY SUPPORT"),
        IATAddenda18("CORRESPONDENT BANK", "02", "CORRGB2L", "GBR"),
    )
    entry = IATEntryDetail(22, "021000021", 100_000, "GB29NWBK60161331926819", make_trace_number(ODFI, 1), addenda)
    return AchFile(sample_file_header("D"), [Batch(header, [entry])])


def sample_original_entry() -> EntryDetail:
    return EntryDetail(27, "021000021", "12345678901", 75_00, "JOHN SMITH", make_trace_number(ODFI, 7), "CUST0001")


def sample_return_file() -> AchFile:
    """The RDFI (021000021) returns our debit for insufficient funds and sends a NOC for another entry."""
    original = sample_original_entry()
    returned = return_entry_for(original, return_reason_code="R01", returning_dfi_identification="02100002", sequence=1)
    noc = notification_of_change_for(
        original, change_code="C01", corrected_data="12345678902", returning_dfi_identification="02100002", sequence=2
    )
    returns = Batch(
        sample_batch_header("PPD", 200, 1, company_entry_description="PAYROLL", odfi_identification="02100002"),
        [returned],
    )
    cor = Batch(
        sample_batch_header("COR", 200, 2, company_entry_description="NOC", odfi_identification="02100002"), [noc]
    )
    return AchFile(sample_file_header("E"), [returns, cor])


SAMPLES = {
    "ppd.ach": sample_ppd_file,
    "ccd_web_tel.ach": sample_ccd_web_tel_file,
    "ctx.ach": sample_ctx_file,
    "iat.ach": sample_iat_file,
    "return_and_noc.ach": sample_return_file,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_builder_output_matches_golden_file(name: str) -> None:
    built = build_ach_file(SAMPLES[name]())
    path = GOLDEN / name
    if os.environ.get("REGENERATE_GOLDEN"):
        path.write_bytes(built)
    assert built == path.read_bytes()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_file_parses_back_to_the_same_domain_object(name: str) -> None:
    assert nacha.parse((GOLDEN / name).read_bytes()) == SAMPLES[name]()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_golden_record_is_94_characters_and_blocked_by_ten(name: str) -> None:
    lines = (GOLDEN / name).read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert all(len(line) == 94 for line in lines[:-1])
    assert (len(lines) - 1) % 10 == 0


def test_ppd_golden_control_records_carry_hash_totals_and_counts() -> None:
    lines = (GOLDEN / "ppd.ach").read_text().splitlines()
    batch_control = lines[7]
    # 5 entries+addenda; hash 02100002+01100001+09100001+02100002; debit 9,999,999,999; credit 150,001
    assert batch_control == (
        "820000000500144000060099999999990000001500011234567890" + " " * 19 + " " * 6 + ODFI + "0000001"
    )
    file_control = lines[8]
    assert file_control == "9000001000001000000050014400006009999999999000000150001" + " " * 39
    assert lines[9] == "9" * 94


def test_ppd_golden_entry_detail_positions() -> None:
    entry = (GOLDEN / "ppd.ach").read_text().splitlines()[2]
    assert entry[0] == "6"
    assert entry[1:3] == "22"
    assert entry[3:11] == "02100002" and entry[11] == "1"
    assert entry[12:29] == "12345678901".ljust(17)
    assert entry[29:39] == "0000150000"
    assert entry[39:54] == "EMP0001".ljust(15)
    assert entry[54:76] == "JOHN SMITH".ljust(22)
    assert entry[78] == "0"
    assert entry[79:94] == "091000010000001"

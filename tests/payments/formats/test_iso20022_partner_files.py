"""Parsing files written by hand from the standard, the way other banks send them.

They differ from our own output on purpose: prefixed namespaces, tabs or no whitespace at all,
optional elements we never write (TxsSummry, FrToDt, Svcr, xsi:schemaLocation, CDATA, comments),
CtrlSum absent, creditor scheme id at transaction level, IBAN-only agents, non-EUR currencies.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.iso20022 import (
    Account,
    Agent,
    BankTransactionCode,
    Party,
    StatusReason,
    parse,
    parse_camt054,
    parse_pacs004,
    parse_pain002,
    validate_raw,
)

PARTNER_DIR = Path(__file__).parent / "golden" / "iso20022" / "partner"
CET = timezone(timedelta(hours=1))


def _read(name: str) -> bytes:
    return (PARTNER_DIR / name).read_bytes()


def test_cbpr_pacs008_with_prefixed_namespace_and_no_ctrl_sum() -> None:
    message = parse(_read("pacs.008-cbpr-prefixed.xml"))
    assert message.message_id == "NWBK20260302-000117"
    assert message.created == datetime(2026, 3, 2, 14, 5, 9, 123000, tzinfo=CET)
    first, second = message.transactions
    assert (first.amount, first.currency) == (Decimal("1500000"), "JPY")
    assert (first.instructed_amount, first.instructed_currency, first.exchange_rate) == (
        Decimal("10000.00"),
        "USD",
        Decimal("150.00"),
    )
    assert first.charges[0].agent == Agent(bic="NWBKGB2L")
    assert first.debtor == Party(
        name="ACME Trading Ltd",
        street_name="Fleet Street",
        building_number="21",
        post_code="EC4Y 1AA",
        town_name="London",
        country="GB",
        organisation_bic="ACMEGB2L",
    )
    assert first.creditor_agent == Agent(bic="BOTKJPJT", clearing_system="JPZGN", member_id="0005")
    assert first.creditor_account == Account(other_id="1234567")
    assert first.remittance_info == ("Invoice 4711 & 4712",)
    assert first.uetr == "97ed4827-7b6f-4491-a06f-b548d5a7512d"
    assert (second.amount, second.currency, second.debtor_account) == (Decimal("12.345"), "KWD", None)


def test_partner_pacs008_round_trips_through_our_builder() -> None:
    message = parse(_read("pacs.008-cbpr-prefixed.xml"))
    assert parse(message.to_xml()) == message


def test_compact_pain001_v03_from_bank_software() -> None:
    message = parse(_read("pain.001.001.03-bank-software.xml"))
    assert message.version == "pain.001.001.03"
    salary, rent = message.payment_infos
    assert salary.category_purpose == "SALA" and salary.batch_booking is False
    assert salary.debtor_account == Account(iban="DE89370400440532013000", currency="EUR")
    assert [tx.amount for tx in salary.transactions] == [Decimal("2000.00"), Decimal("1200.5")]
    assert salary.transactions[0].creditor_agent is None
    assert salary.transactions[1].creditor.address_lines == ("Hauptstr. 5", "10115 Berlin")
    assert rent.debtor_agent == Agent()  # NOTPROVIDED
    assert rent.transactions[0].creditor_reference == "RF18539007547034"
    assert message.created == datetime(2026, 3, 2, 8, 0)
    assert parse(message.to_xml()) == message


def test_tab_indented_camt053_with_optional_elements() -> None:
    statement = parse(_read("camt.053-bank-statement.xml"))
    report = statement.reports[0]
    assert statement.created == datetime(2026, 3, 3, 5, 12, 44, tzinfo=UTC)
    assert report.account == Account(iban="DE89370400440532013000", currency="EUR")
    assert [(b.type_code, b.amount, b.credit_debit) for b in report.balances] == [
        ("OPBD", Decimal("100.00"), "DBIT"),
        ("CLBD", Decimal("1399.50"), "CRDT"),
    ]
    credit, fee, pending = report.entries
    assert credit.bank_transaction_code == BankTransactionCode("PMNT", "RCDT", "ESCT", "NTRF+166", "DK")
    assert credit.details[0].debtor == Party(name="Pierre Dupont")
    assert credit.details[0].remittance_info == ("Monthly payment",)
    assert fee.booking_date == datetime(2026, 3, 2, 18, 0, tzinfo=CET)
    assert pending.status == "PDNG" and pending.booking_date is None
    assert parse(statement.to_xml()) == statement


def test_camt053_from_partner_with_wrong_closing_balance_is_reported() -> None:
    raw = _read("camt.053-bank-statement.xml").replace(b"1399.50", b"1400.50")
    assert [error.field for error in validate_raw(raw)[1]] == ["Stmt/Bal"]


def test_prefixed_pacs002_group_rejection() -> None:
    report = parse(_read("pacs.002-prefixed-reject.xml"))
    group = report.original_groups[0]
    assert (group.group_status, group.reasons) == (
        "RJCT",
        (StatusReason(code="AM05", additional_info=("Duplicate file",)),),
    )
    assert report.transactions == ()
    assert report.instructing_agent == Agent(bic="EBAPFRPPPSA")


def test_prefixed_pacs002_rejection_without_reason_is_reported() -> None:
    raw = _read("pacs.002-prefixed-reject.xml").replace(b"<ps:Rsn><ps:Cd>AM05</ps:Cd></ps:Rsn>", b"")
    with pytest.raises(MessageValidationError) as info:
        parse(raw)
    assert info.value.errors[0].field == "OrgnlGrpInfAndSts/GrpSts"
    assert info.value.errors[0].line == 6


def test_sdd_v02_with_creditor_scheme_id_per_transaction() -> None:
    message = parse(_read("pain.008.001.02-scheme-id-per-transaction.xml"))
    info = message.payment_infos[0]
    tx = info.transactions[0]
    assert info.creditor_scheme_id == "DE98ZZZ09999999999"
    assert (info.sequence_type, info.local_instrument, info.charge_bearer) == ("RCUR", "CORE", None)
    assert (tx.mandate_id, tx.mandate_signature_date, tx.amendment_indicator) == (
        "MEMBER-0815",
        date(2024, 1, 15),
        False,
    )
    assert tx.debtor_agent == Agent()


def test_sdd_partner_file_with_bad_creditor_id_is_reported() -> None:
    raw = _read("pain.008.001.02-scheme-id-per-transaction.xml").replace(b"DE98ZZZ", b"DE99ZZZ")
    errors = validate_raw(raw)[1]
    assert [error.field for error in errors] == ["PmtInf/DrctDbtTxInf/DrctDbtTx/CdtrSchmeId/Id/PrvtId/Othr/Id"]


PAIN002_V03 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
 <CstmrPmtStsRpt>
  <GrpHdr><MsgId>STATUS-1</MsgId><CreDtTm>2026-03-02T09:00:00</CreDtTm>
   <DbtrAgt><FinInstnId><BIC>COBADEFF</BIC></FinInstnId></DbtrAgt></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>20260302-SALARY</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>
   <OrgnlNbOfTxs>3</OrgnlNbOfTxs><OrgnlCtrlSum>4200.50</OrgnlCtrlSum><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>SALARY-03</OrgnlPmtInfId>
   <TxInfAndSts><StsId>S-1</StsId><OrgnlEndToEndId>SALARY-03-0002</OrgnlEndToEndId><TxSts>RJCT</TxSts>
    <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></TxInfAndSts>
  </OrgnlPmtInfAndSts>
 </CstmrPmtStsRpt>
</Document>"""


def test_pain002_v03_status_from_a_bank() -> None:
    report = parse_pain002(PAIN002_V03)
    assert report.version == "pain.002.001.03"
    assert report.original_group.original_control_sum == Decimal("4200.50")
    tx = report.payment_informations[0].transactions[0]
    assert (tx.status_id, tx.original_end_to_end_id, tx.status, tx.reasons) == (
        "S-1",
        "SALARY-03-0002",
        "RJCT",
        (StatusReason(code="AC04"),),
    )
    assert parse(report.to_xml()) == report


def test_pain002_v03_rejects_status_codes_outside_its_enumeration() -> None:
    errors = validate_raw(PAIN002_V03.replace(b"<GrpSts>PART", b"<GrpSts>XXXX"))[1]
    assert errors[0].field == "OrgnlGrpInfAndSts/GrpSts" and errors[0].line == 7


CAMT054 = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N-1</MsgId><CreDtTm>2026-03-02T11:00:00+01:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N-1-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">29.90</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Prtry>BOOKED</Prtry></Sts>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>MEMBER-0815-2026-03</EndToEndId><MndtId>MEMBER-0815</MndtId></Refs></TxDtls></NtryDtls>
</Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""


def test_camt054_notification_without_whitespace() -> None:
    notification = parse_camt054(CAMT054)
    entry = notification.reports[0].entries[0]
    assert entry.status == "BOOKED"
    assert entry.details[0].mandate_id == "MEMBER-0815"
    assert notification.reports[0].balances == ()


def test_camt054_with_a_balance_is_an_xsd_error() -> None:
    raw = CAMT054.replace(b"</Acct>", b"</Acct><Bal/>")
    errors = validate_raw(raw)[1]
    assert errors[0].reason.startswith("XSD: Element 'Bal': This element is not expected")


PACS004 = b"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09">
  <PmtRtr>
    <GrpHdr>
      <MsgId>RTR-77</MsgId>
      <CreDtTm>2026-03-04T10:00:00Z</CreDtTm>
      <NbOfTxs>1</NbOfTxs>
      <TtlRtrdIntrBkSttlmAmt Ccy="EUR">1500.00</TtlRtrdIntrBkSttlmAmt>
      <IntrBkSttlmDt>2026-03-04</IntrBkSttlmDt>
      <SttlmInf><SttlmMtd>CLRG</SttlmMtd><ClrSys><Prtry>ST2</Prtry></ClrSys></SttlmInf>
    </GrpHdr>
    <TxInf>
      <RtrId>RTR-77-1</RtrId>
      <OrgnlGrpInf><OrgnlMsgId>ID-1</OrgnlMsgId><OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId></OrgnlGrpInf>
      <OrgnlEndToEndId>REF-123456</OrgnlEndToEndId>
      <OrgnlIntrBkSttlmAmt Ccy="EUR">1500.00</OrgnlIntrBkSttlmAmt>
      <RtrdIntrBkSttlmAmt Ccy="EUR">1500.00</RtrdIntrBkSttlmAmt>
      <RtrRsnInf><Orgtr><Nm>Banque Postale</Nm></Orgtr><Rsn><Cd>AC04</Cd></Rsn></RtrRsnInf>
    </TxInf>
  </PmtRtr>
</Document>"""


def test_pacs004_return_from_a_partner() -> None:
    message = parse_pacs004(PACS004)
    tx = message.transactions[0]
    assert (tx.returned_amount, tx.original_end_to_end_id, tx.reasons) == (
        Decimal("1500.00"),
        "REF-123456",
        (StatusReason(code="AC04"),),
    )
    assert message.settlement_date == date(2026, 3, 4)
    assert message.clearing_system == "ST2"


def test_pacs004_total_returned_amount_must_match() -> None:
    errors = validate_raw(
        PACS004.replace(b'<TtlRtrdIntrBkSttlmAmt Ccy="EUR">1500.00', b'<TtlRtrdIntrBkSttlmAmt Ccy="EUR">15.00')
    )[1]
    assert [error.field for error in errors] == ["GrpHdr/TtlRtrdIntrBkSttlmAmt"]

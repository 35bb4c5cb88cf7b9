"""FinCEN BSA E-Filing batch XML (CTRX, SARX, FBARX) built with lxml and validated against FinCEN's own schemas.

No database here: the builders take plain values (``Filer``, ``Party``, totals) and return the XML bytes; ``validate``
checks a document against the schema shipped in ``xsd/`` (copied from FinCEN's BSA E-Filing XML schemas, see
/work/shared/specs/fincen/README.md: CTRX and SARX v1.2) and raises ``FincenSchemaError`` naming each problem.

Elements follow the schemas' sequences (which is why the indicators appear in alphabetical order). Party type codes
(FinCEN's ActivityPartyTypeCode): 35 transmitter, 37 transmitter contact, 30 reporting/filing institution, 8 contact
office, 34 institution where the activity occurred, 50 person involved in a CTR, 33 subject of a SAR, 15 FBAR filer,
41 the financial institution where an FBAR account is held. Amounts are whole US dollars, rounded up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal
from functools import cache
from pathlib import Path

from lxml import etree

NS = "www.fincen.gov/base"
XSD_DIR = Path(__file__).parent / "xsd"
SCHEMAS = {"CTRX": "EFL_CTRXBatchSchema.xsd", "SARX": "EFL_SARXBatchSchema.xsd", "FBARX": "EFL_FBARXBatchSchema.xsd"}
# The batch form each report type (``AmlReport.report_type``) is filed as.
FORM_OF_REPORT = {"CTR": "CTRX", "SAR": "SARX", "FBAR": "FBARX"}


class FincenSchemaError(ValueError):
    def __init__(self, form: str, problems: list[str]):
        super().__init__(f"{form} batch does not validate: " + "; ".join(problems[:10]))
        self.form = form
        self.problems = problems


@dataclass(frozen=True)
class Filer:
    """The reporting institution (also the transmitter): QENEX_FINCEN_FILER in the settings."""

    name: str = "QENEX BANK"
    tin: str = "000000000"  # EIN
    tcc: str = "PQENEX00"  # Transmitter Control Code FinCEN assigns
    street: str = "1 MAIN STREET"
    city: str = "NEW YORK"
    state: str = "NY"
    zip_code: str = "10001"
    country: str = "US"
    contact_name: str = "COMPLIANCE OFFICE"
    phone: str = "2125550100"
    regulator: str = "9"  # PrimaryRegulatorTypeCode (9: FDIC, 7: OCC, 1: Federal Reserve, ...)
    rssd: str = ""  # RSSD id of the institution, when it has one


@dataclass(frozen=True)
class Subject:
    """A person or entity a report is about (from ``apps.compliance.parties.Party``)."""

    last_name: str
    first_name: str = ""
    is_entity: bool = False
    tin: str = ""
    tin_type: str = ""  # "1" SSN/ITIN, "2" EIN, "9" foreign; "" unknown
    date_of_birth: date | None = None
    street: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country: str = ""
    occupation: str = ""
    accounts: list[str] = field(default_factory=list)


def whole_dollars(amount: Decimal) -> int:
    return int(Decimal(amount).to_integral_value(rounding=ROUND_CEILING))


class _Doc:
    def __init__(self, form: str, **attributes: str):
        self.root = etree.Element(f"{{{NS}}}EFilingBatchXML", nsmap={"fc2": NS}, **attributes)
        self._seq = itertools.count(1)
        self.add(self.root, "FormTypeCode", form)
        self.parties = 0

    def seq(self) -> str:
        return str(next(self._seq))

    def add(self, parent, name: str, text: str | None = None, *, seq: bool = False):
        node = etree.SubElement(parent, f"{{{NS}}}{name}")
        if seq:
            node.set("SeqNum", self.seq())
        if text is not None:
            node.text = _clean(text)
        return node

    def group(self, parent, name: str, children: list[tuple[str, str]]):
        node = self.add(parent, name, seq=True)
        for child, text in children:
            self.add(node, child, text)
        return node


def _clean(text: str) -> str:
    """FinCEN refuses leading/trailing blanks, tabs and line breaks in any value."""
    return " ".join(str(text).split())


def _cut(text: str, size: int) -> str:
    return _clean(text)[:size].strip()


def _yyyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")


def _party(doc: _Doc, activity, code: str, *fields: tuple[str, str]):
    """A Party element with its type code and the PartyType fields given (in schema order)."""
    party = doc.add(activity, "Party", seq=True)
    doc.add(party, "ActivityPartyTypeCode", code)
    for name, text in fields:
        doc.add(party, name, text)
    doc.parties += 1
    return party


def _name(doc: _Doc, party, *, last: str = "", first: str = "", full: str = "", code: str = "L") -> None:
    children = [("PartyNameTypeCode", code)]
    if full:
        children.append(("RawPartyFullName", _cut(full, 150)))
    else:
        children.append(("RawEntityIndividualLastName", _cut(last, 150)))
        if first:
            children.append(("RawIndividualFirstName", _cut(first, 35)))
    doc.group(party, "PartyName", children)


def _address(doc: _Doc, party, *, street: str, city: str, state: str, zip_code: str, country: str, unknown=True):
    children = []
    if unknown and not city:
        children.append(("CityUnknownIndicator", "Y"))
    if unknown and not country:
        children.append(("CountryCodeUnknownIndicator", "Y"))
    if city:
        children.append(("RawCityText", _cut(city, 50)))
    if country:
        children.append(("RawCountryCodeText", _cut(country, 2)))
    if state:
        children.append(("RawStateCodeText", _cut(state, 3)))
    if street:
        children.append(("RawStreetAddress1Text", _cut(street, 100)))
    if zip_code:
        children.append(("RawZIPCode", _cut(zip_code, 9)))
    if unknown and not state:
        children.append(("StateCodeUnknownIndicator", "Y"))
    if unknown and not street:
        children.append(("StreetAddressUnknownIndicator", "Y"))
    if unknown and not zip_code:
        children.append(("ZIPCodeUnknownIndicator", "Y"))
    doc.group(party, "Address", children)


def _filer_address(doc: _Doc, party, filer: Filer, unknown=True) -> None:
    _address(
        doc,
        party,
        street=filer.street,
        city=filer.city,
        state=filer.state,
        zip_code=filer.zip_code,
        country=filer.country,
        unknown=unknown,
    )


def _transmitter(doc: _Doc, activity, filer: Filer, *, sar_fields: bool = False, fbar: bool = False) -> None:
    party = _party(doc, activity, "35")
    _name(doc, party, last=filer.name)
    _filer_address(doc, party, filer, unknown=not fbar)
    doc.group(party, "PhoneNumber", [("PhoneNumberText", filer.phone)])
    if fbar:
        doc.group(
            party,
            "PartyIdentification",
            [("PartyIdentificationNumberText", filer.tcc), ("PartyIdentificationTypeCode", "28")],
        )
        doc.group(
            party,
            "PartyIdentification",
            [("PartyIdentificationNumberText", filer.tin), ("PartyIdentificationTypeCode", "4")],
        )
    else:
        doc.group(
            party,
            "PartyIdentification",
            [("PartyIdentificationNumberText", filer.tin), ("PartyIdentificationTypeCode", "4")],
        )
        doc.group(
            party,
            "PartyIdentification",
            [("PartyIdentificationNumberText", filer.tcc), ("PartyIdentificationTypeCode", "28")],
        )
    contact = _party(doc, activity, "37")
    _name(doc, contact, last=filer.contact_name)


def _subject_identification(doc: _Doc, party, subject: Subject) -> None:
    if subject.tin:
        doc.group(
            party,
            "PartyIdentification",
            [
                ("PartyIdentificationNumberText", _cut(subject.tin, 25)),
                ("PartyIdentificationTypeCode", subject.tin_type or "1"),
            ],
        )
    else:
        doc.group(party, "PartyIdentification", [("TINUnknownIndicator", "Y")])


def validate(form: str, xml: bytes) -> None:
    """Raise ``FincenSchemaError`` unless ``xml`` is a valid ``form`` batch (CTRX, SARX, FBARX)."""
    schema = _schema(form)
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        raise FincenSchemaError(form, [str(exc)]) from None
    if not schema.validate(document):
        raise FincenSchemaError(form, [f"line {e.line}: {e.message}" for e in schema.error_log])


@cache
def _schema(form: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / SCHEMAS[form])))


def _finish(doc: _Doc, form: str) -> bytes:
    xml = etree.tostring(doc.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(form, xml)
    return xml


def _institution_34(doc: _Doc, activity, filer: Filer, *, ctr: bool) -> None:
    fields = [("PrimaryRegulatorTypeCode", filer.regulator)]
    party = _party(doc, activity, "34", *fields)
    _name(doc, party, last=filer.name)
    _filer_address(doc, party, filer)
    doc.group(
        party,
        "PartyIdentification",
        [("PartyIdentificationNumberText", filer.tin), ("PartyIdentificationTypeCode", "2")],
    )
    doc.group(party, "OrganizationClassificationTypeSubtype", [("OrganizationTypeID", "1")])


def build_ctr(
    *,
    filer: Filer,
    subject: Subject,
    business_day: date,
    cash_in: Decimal,
    cash_out: Decimal,
    in_accounts: list[str],
    out_accounts: list[str],
    transactions: int,
    filing_date: date,
) -> bytes:
    """One CTR (FinCEN 112) for one person's cash on one business day, as a CTRX batch of one activity."""
    total_in, total_out = whole_dollars(cash_in), whole_dollars(cash_out)
    doc = _Doc("CTRX", TotalAmount=str(total_in + total_out), PartyCount="0", ActivityCount="1")
    activity = doc.add(doc.root, "Activity", seq=True)
    doc.add(activity, "FilingDateText", _yyyymmdd(filing_date))
    doc.group(
        activity,
        "ActivityAssociation",
        [
            ("CorrectsAmendsPriorReportIndicator", ""),
            ("FinCENDirectBackFileIndicator", ""),
            ("InitialReportIndicator", "Y"),
        ],
    )
    _transmitter(doc, activity, filer)
    reporting = _party(doc, activity, "30", ("PrimaryRegulatorTypeCode", filer.regulator))
    _name(doc, reporting, last=filer.name)
    _filer_address(doc, reporting, filer)
    doc.group(
        reporting,
        "PartyIdentification",
        [("PartyIdentificationNumberText", filer.tin), ("PartyIdentificationTypeCode", "2")],
    )
    contact = _party(doc, activity, "8")
    _name(doc, contact, last=filer.contact_name)
    doc.group(contact, "PhoneNumber", [("PhoneNumberText", filer.phone)])
    _institution_34(doc, activity, filer, ctr=True)

    person_fields = []
    if not subject.is_entity and subject.date_of_birth is None:
        person_fields.append(("BirthDateUnknownIndicator", "Y"))
    if not subject.is_entity and subject.date_of_birth is not None:
        person_fields.append(("IndividualBirthDateText", _yyyymmdd(subject.date_of_birth)))
    if total_in:
        person_fields.append(("IndividualEntityCashInAmountText", str(total_in)))
    if total_out:
        person_fields.append(("IndividualEntityCashOutAmountText", str(total_out)))
    if subject.is_entity:
        person_fields.append(("PartyAsEntityOrganizationIndicator", "Y"))
    if not subject.is_entity:
        person_fields.append(("UnknownGenderIndicator", "Y"))
    person = _party(doc, activity, "50", *person_fields)
    _name(doc, person, last=subject.last_name or "UNKNOWN", first=subject.first_name)
    _address(
        doc,
        person,
        street=subject.street,
        city=subject.city,
        state=subject.state,
        zip_code=subject.zip_code,
        country=subject.country,
    )
    _subject_identification(doc, person, subject)
    if subject.occupation:
        doc.group(person, "PartyOccupationBusiness", [("OccupationBusinessText", _cut(subject.occupation, 50))])
    for number, code in [(a, "8") for a in in_accounts] + [(a, "9") for a in out_accounts]:
        account = doc.add(person, "Account", seq=True)
        doc.add(account, "AccountNumberText", _cut(number, 40))
        doc.group(account, "PartyAccountAssociation", [("PartyAccountAssociationTypeCode", code)])

    cta = doc.add(activity, "CurrencyTransactionActivity", seq=True)
    for name, text in [
        ("AggregateTransactionIndicator", "Y" if transactions > 1 else ""),
        ("ArmoredCarServiceIndicator", ""),
        ("ATMIndicator", ""),
        ("MailDepositShipmentIndicator", ""),
        ("NightDepositIndicator", ""),
        ("SharedBranchingIndicator", ""),
        ("TotalCashInReceiveAmountText", str(total_in) if total_in else ""),
        ("TotalCashOutAmountText", str(total_out) if total_out else ""),
        ("TransactionDateText", _yyyymmdd(business_day)),
    ]:
        doc.add(cta, name, text)
    for code, amount in (("55", total_in), ("56", total_out)):  # 55 deposit(s), 56 withdrawal(s)
        if amount:
            doc.group(
                cta,
                "CurrencyTransactionActivityDetail",
                [
                    ("CurrencyTransactionActivityDetailTypeCode", code),
                    ("DetailTransactionAmountText", str(amount)),
                    ("OtherCurrencyTransactionActivityDetailText", ""),
                    ("OtherForeignCurrencyCountryText", ""),
                ],
            )
    doc.root.set("PartyCount", str(doc.parties))
    return _finish(doc, "CTRX")


# SAR activity classification (SuspiciousActivityTypeID / SubtypeID) per rule kind. 1 structuring: 106 "alters or
# cancels transaction to avoid BSA recordkeeping requirement" is the closest generic code; 9 money laundering: 901
# "exchanges small bills for large bills or vice versa"... see FinCEN SAR XML user manual; 999-style "other" needs text.
SAR_CLASSIFICATION: dict[str, tuple[str, str]] = {
    "structuring": ("1", "111"),  # Structuring: transaction(s) below BSA recordkeeping threshold
    "cash_over_threshold": ("1", "111"),
    "rapid_movement": ("9", "917"),  # Money laundering: transaction out of pattern for customer(s)
    "velocity": ("9", "917"),
    "round_amounts": ("9", "917"),
    "expected_activity": ("9", "917"),
    "dormant_activity": ("9", "917"),
    "high_risk_country": ("9", "904"),  # Money laundering: funds transfers to/from high-risk jurisdictions
    "new_counterparty_large": ("9", "917"),
    "sanctions_match": ("9", "904"),  # a listed party's funds transfer: the high-risk-jurisdiction code is closest
}


def build_sar(
    *,
    filer: Filer,
    subject: Subject,
    activity_from: date,
    activity_to: date,
    total_amount: Decimal,
    kinds: list[str],
    narrative: str,
    filing_date: date,
    note: str = "",
) -> bytes:
    """One SAR (FinCEN 111) about one subject, as a SARX batch of one activity."""
    amount = whole_dollars(total_amount)
    doc = _Doc(
        "SARX",
        TotalAmount=str(amount),
        PartyCount="0",
        ActivityCount="1",
        ActivityAttachmentCount="0",
        AttachmentCount="0",
    )
    activity = doc.add(doc.root, "Activity", seq=True)
    doc.add(activity, "FilingDateText", _yyyymmdd(filing_date))
    if note:
        doc.add(activity, "FilingInstitutionNotetoFinCEN", _cut(note, 50))
    doc.group(activity, "ActivityAssociation", [("InitialReportIndicator", "Y")])
    _transmitter(doc, activity, filer)
    filing = _party(doc, activity, "30", ("PrimaryRegulatorTypeCode", filer.regulator))
    _name(doc, filing, last=filer.name)
    _filer_address(doc, filing, filer)
    doc.group(
        filing,
        "PartyIdentification",
        [("PartyIdentificationNumberText", filer.tin), ("PartyIdentificationTypeCode", "2")],
    )
    doc.group(filing, "OrganizationClassificationTypeSubtype", [("OrganizationTypeID", "2")])
    contact = _party(doc, activity, "8")
    _name(doc, contact, last=filer.contact_name)
    doc.group(contact, "PhoneNumber", [("PhoneNumberText", filer.phone), ("PhoneNumberTypeCode", "W")])
    place = _party(doc, activity, "34", ("PrimaryRegulatorTypeCode", filer.regulator))
    _name(doc, place, last=filer.name)
    _filer_address(doc, place, filer)
    doc.group(
        place,
        "PartyIdentification",
        [("PartyIdentificationNumberText", filer.tin), ("PartyIdentificationTypeCode", "2")],
    )
    doc.group(place, "OrganizationClassificationTypeSubtype", [("OrganizationTypeID", "2")])

    subject_fields = []
    if not subject.is_entity and subject.date_of_birth is None:
        subject_fields.append(("BirthDateUnknownIndicator", "Y"))
    if not subject.is_entity and subject.date_of_birth is not None:
        subject_fields.append(("IndividualBirthDateText", _yyyymmdd(subject.date_of_birth)))
    if subject.is_entity:
        subject_fields.append(("PartyAsEntityOrganizationIndicator", "Y"))
    if not subject.is_entity:
        subject_fields.append(("UnknownGenderIndicator", "Y"))
    person = _party(doc, activity, "33", *subject_fields)
    _name(doc, person, last=subject.last_name or "UNKNOWN", first=subject.first_name)
    _address(
        doc,
        person,
        street=subject.street,
        city=subject.city,
        state=subject.state,
        zip_code=subject.zip_code,
        country=subject.country,
    )
    _subject_identification(doc, person, subject)
    association = doc.add(person, "PartyAssociation", seq=True)
    doc.add(association, "CustomerIndicator", "Y")
    if subject.accounts:
        links = doc.add(person, "PartyAccountAssociation", seq=True)
        doc.add(links, "PartyAccountAssociationTypeCode", "7")
        institution = doc.add(links, "Party", seq=True)
        doc.add(institution, "ActivityPartyTypeCode", "41")
        doc.add(institution, "NonUSFinancialInstitutionIndicator", "")
        doc.group(
            institution,
            "PartyIdentification",
            [("PartyIdentificationNumberText", filer.tin), ("PartyIdentificationTypeCode", "2")],
        )
        for number in subject.accounts[:99]:
            account = doc.add(institution, "Account", seq=True)
            doc.add(account, "AccountNumberText", _cut(number, 40))
            doc.group(account, "PartyAccountAssociation", [("PartyAccountAssociationTypeCode", "7")])

    suspicious = doc.add(activity, "SuspiciousActivity", seq=True)
    if not amount:
        doc.add(suspicious, "NoAmountInvolvedIndicator", "Y")
    doc.add(suspicious, "SuspiciousActivityFromDateText", _yyyymmdd(activity_from))
    doc.add(suspicious, "SuspiciousActivityToDateText", _yyyymmdd(activity_to))
    if amount:
        doc.add(suspicious, "TotalSuspiciousAmountText", str(amount))
    for type_id, subtype_id in sorted({SAR_CLASSIFICATION.get(k, ("9", "917")) for k in kinds} or {("9", "917")}):
        doc.group(
            suspicious,
            "SuspiciousActivityClassification",
            [
                ("SuspiciousActivitySubtypeID", subtype_id),
                ("SuspiciousActivityTypeID", type_id),
            ],
        )
    chunks = [narrative[i : i + 4000] for i in range(0, min(len(narrative), 20000), 4000)] or ["No narrative."]
    for number, chunk in enumerate(chunks, 1):
        doc.group(
            activity,
            "ActivityNarrativeInformation",
            [
                ("ActivityNarrativeSequenceNumber", str(number)),
                ("ActivityNarrativeText", _clean(chunk)),
            ],
        )
    doc.root.set("PartyCount", str(doc.parties))
    return _finish(doc, "SARX")


@dataclass(frozen=True)
class ForeignAccount:
    number: str
    maximum_value: Decimal | None  # in USD; None: unknown
    account_type: str = "1"  # 1 bank, 2 securities, 999 other
    country: str = ""  # where the institution holds it (ISO alpha-2); "" the filer's own address


def build_fbar(
    *, filer: Filer, subject: Subject, year: int, accounts: list[ForeignAccount], signature_date: date
) -> bytes:
    """One FBAR (FinCEN 114) of ``subject``'s accounts held at the bank (foreign for a US person), prepared by it."""
    doc = _Doc(
        "FBARX",
        ActivityCount="1",
        PartyCount="0",
        AccountCount=str(len(accounts)),
        JointlyOwnedOwnerCount="0",
        NoFIOwnerCount="0",
        ConsolidatedOwnerCount="0",
    )
    activity = doc.add(doc.root, "Activity", seq=True)
    doc.add(activity, "ApprovalOfficialSignatureDateText", _yyyymmdd(signature_date))
    doc.add(activity, "PreparerFilingSignatureIndicator", "Y")
    doc.group(activity, "ActivityAssociation", [("CorrectsAmendsPriorReportIndicator", "")])
    _transmitter(doc, activity, filer, fbar=True)
    owner_fields = [("FilerFinancialInterest25ForeignAccountIndicator", "N")]
    owner_fields.append(("FilerTypeCorporationIndicator" if subject.is_entity else "FilerTypeIndividualIndicator", "Y"))
    if not subject.is_entity:
        owner_fields.append(
            ("IndividualBirthDateText", _yyyymmdd(subject.date_of_birth) if subject.date_of_birth else "")
        )
    owner_fields.append(("SignatureAuthoritiesIndicator", "N"))
    owner = _party(doc, activity, "15", *owner_fields)
    _name(doc, owner, last=subject.last_name or "UNKNOWN", first=subject.first_name)
    _address(
        doc,
        owner,
        street=subject.street,
        city=subject.city,
        state=subject.state,
        zip_code=subject.zip_code,
        country=subject.country or "US",
        unknown=False,
    )
    doc.group(
        owner,
        "PartyIdentification",
        [
            ("PartyIdentificationNumberText", _cut(subject.tin or "000000000", 25)),
            ("PartyIdentificationTypeCode", {"2": "2", "9": "9"}.get(subject.tin_type, "1")),
        ],
    )
    for item in accounts:
        account = doc.add(activity, "Account", seq=True)
        if item.maximum_value is not None:
            doc.add(account, "AccountMaximumValueAmountText", str(whole_dollars(item.maximum_value)))
        doc.add(account, "AccountNumberText", _cut(item.number, 40))
        doc.add(account, "AccountTypeCode", item.account_type)
        doc.add(account, "EFilingAccountTypeCode", "141")  # separately owned
        if item.maximum_value is None:
            doc.add(account, "UnknownMaximumValueIndicator", "Y")
        institution = doc.add(account, "Party", seq=True)
        doc.add(institution, "ActivityPartyTypeCode", "41")
        _name(doc, institution, last=filer.name)
        if item.country and item.country != filer.country:  # the office abroad that holds it: its country
            _address(doc, institution, street="", city="", state="", zip_code="", country=item.country, unknown=False)
        else:
            _filer_address(doc, institution, filer, unknown=False)
    doc.group(
        activity,
        "ForeignAccountActivity",
        [
            ("ForeignAccountHeldQuantityText", str(len(accounts))),
            ("ReportCalendarYearText", str(year)),
        ],
    )
    doc.root.set("PartyCount", str(doc.parties))
    return _finish(doc, "FBARX")

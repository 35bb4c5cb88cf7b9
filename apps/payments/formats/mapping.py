"""MT103 <-> pacs.008.001.08 mapping for the SWIFT CBPR+ coexistence period.

:func:`mt103_to_pacs008` and :func:`pacs008_to_mt103` map the fields both messages carry and return
``Mapped(message, notes)``. Nothing is shortened, rewritten or dropped silently: every lossy step adds
a :class:`TruncationNote` ``(field, original, mapped, rule)`` naming the rule below. Both functions
build the result with the format's own builder before returning it, so the mapped pacs.008 is
XSD-valid and the mapped MT103 passes the MT validator; if no valid message can be made they raise
:class:`~apps.payments.formats.errors.MessageValidationError`.

Field correspondence (MT103 -> pacs.008 and back)

* ``:20:`` <-> ``PmtId/InstrId``. MT -> MX: ``EndToEndId`` is ``NOTPROVIDED`` (or the ``/ROC/`` of
  ``:70:``, or the ``end_to_end_id`` argument), ``MsgId`` is ``:20:`` unless ``message_id`` is given.
  MX -> MT: ``:20:`` is ``InstrId``, else ``EndToEndId`` (unless ``NOTPROVIDED``), else ``MsgId``.
* block 3 ``{121:}`` <-> ``PmtId/UETR``.
* ``:32A:`` <-> ``IntrBkSttlmAmt`` + ``IntrBkSttlmDt`` (transaction level; the group header date is
  used when the transaction has none; with neither, no MT103 can be made).
* ``:33B:`` <-> ``InstdAmt``; ``:36:`` <-> ``XchgRate``.
* ``:50a:`` <-> ``Dbtr`` + ``DbtrAcct``; ``:59a:`` <-> ``Cdtr`` + ``CdtrAcct``. Option A <-> a party
  identified only by ``Id/OrgId/AnyBIC``; option K / no letter <-> ``Nm`` (line 1) + ``AdrLine``
  (lines 2-4); option F <-> ``Nm`` (``1/``), ``AdrLine`` (``2/``), ``Ctry`` + ``TwnNm`` (``3/CC/TOWN``).
  MX -> MT uses option F when the party has a country and a town and an account, else K / no letter
  (``StrtNm BldgNb``, ``PstCd TwnNm`` and ``Ctry`` then become address lines). An account is the IBAN
  or ``Othr/Id``; MT -> MX writes it as IBAN when it is a valid IBAN.
* ``:52a:`` <-> ``DbtrAgt``; ``:56a:`` <-> ``IntrmyAgt1``; ``:57a:`` <-> ``CdtrAgt``. Option A <-> BICFI;
  a party identifier ``//FW``, ``//SC``, ``//BL`` ... <-> ``ClrSysMmbId`` (see ``CLEARING_CODES``);
  option C <-> clearing member only; option D <-> ``Nm``. Without ``:52a:`` the debtor agent is the
  sender; without ``:57a:`` the creditor agent is the receiver; MX -> MT therefore omits ``:52a:``
  when ``DbtrAgt`` is the instructing agent and ``:57a:`` when ``CdtrAgt`` is the instructed agent
  (unless ``:56a:`` is present, which makes ``:57a:`` mandatory).
* sender / receiver BIC (blocks 1/2) <-> ``CdtTrfTxInf/InstgAgt`` / ``InstdAgt`` (CBPR+ places them
  on the transaction; the group header's are used as a fallback, then the ``sender_bic`` /
  ``receiver_bic`` arguments).
* ``:70:`` <-> ``RmtInf``: a leading ``/ROC/`` line <-> ``EndToEndId``, then a leading ``/RFB/`` line
  <-> ``Strd/CdtrRefInf/Ref``, every other line <-> one ``Ustrd``.
* ``:71A:`` <-> ``ChrgBr``: OUR = DEBT, BEN = CRED, SHA = SHAR.
* ``:71F:`` <-> ``ChrgsInf`` (agent: the instructing agent) when ``ChrgBr`` is SHAR or CRED;
  ``:71G:`` <-> ``ChrgsInf`` whose agent is the instructing agent (charges prepaid to the receiver)
  when ``ChrgBr`` is DEBT.
* ``:72:`` <-> ``InstrForNxtAgt/InstrInf``, one line each.
* ``:23E:`` <-> ``InstrForCdtrAgt/InstrInf`` written ``CODE`` or ``CODE/additional information`` (the
  Pacs008 model writes instructions as InstrInf text only).
* ``:23B:`` SPRI / SSTD / SPAY <-> ``PmtTpInf/SvcLvl/Cd`` of the same value (a bilateral QENEX
  convention, not ISO external codes); CRED <-> no service level.

Rules applied when a value does not fit, each reported as a TruncationNote with this ``rule``:

* ``x-charset``: MT text fields take only the SWIFT X set. Text outside it is transliterated with
  :func:`~apps.payments.formats.swift_mt.transliterate_to_x` (``Müller & Söhne`` -> ``Muller + Sohne``).
  Lines already in the X set and at most 35 characters long are kept verbatim.
* ``name-address-4x35``: ``:50a:`` / ``:59a:`` / ``:5xD:`` hold at most 4 lines of 35 (option F: 4
  numbered lines of 33). Name and address are wrapped at word boundaries; lines beyond 4 are dropped.
* ``reference-16x``: ``:20:`` is 16x without a leading/trailing ``/`` or ``//``. A longer or invalid
  id is transliterated, its slashes cleaned and it is cut to 16 characters (``NONREF`` if nothing
  is left).
* ``end-to-end-id-roc``: an ``EndToEndId`` other than ``NOTPROVIDED`` that is not the ``:20:`` goes to
  ``:70:`` as ``/ROC/<id>`` (cut to 35 characters with the line).
* ``creditor-reference-rfb``: ``Strd/CdtrRefInf/Ref`` goes to ``:70:`` as ``/RFB/<ref>``.
* ``remittance-4x35``: ``:70:`` holds 4 lines of 35: ``Ustrd`` (140 characters each) is wrapped and
  lines beyond 4 are dropped.
* ``instructions-6x35``: ``:72:`` holds 6 lines of 35; instructions are wrapped, lines beyond 6 dropped.
* ``instruction-for-creditor-agent-acc``: ``InstrForCdtrAgt`` text that is not an MT103 ``:23E:`` code
  goes to ``:72:`` as ``/ACC/<text>`` (continuation lines ``//``).
* ``charge-bearer-slev``: ``ChrgBr`` SLEV has no MT103 code and becomes SHA.
* ``charges-summed``: several DEBT charges of the instructing agent become one ``:71G:`` (their sum,
  same currency only; others are reported as ``not-carried``).
* ``instructed-amount-from-settlement``: ``:71F:`` / ``:71G:`` need ``:33B:``; without ``InstdAmt``
  the settlement amount is used.
* ``zero-senders-charge``: ``:71A:`` BEN needs a ``:71F:``; without charges ``:71F:`` is 0 in the
  settlement currency.
* ``exchange-rate-same-currency``: ``:36:`` is not allowed when ``:33B:`` and ``:32A:`` share the
  currency, so such an ``XchgRate`` is dropped.
* ``party-bic-with-name``: a party with a name and an ``AnyBIC`` maps to option K / no letter; the BIC
  is dropped (the name matters for screening).
* ``not-carried``: the other message has no place for the value in this mapping (MX -> MT:
  ``UltmtDbtr``, ``UltmtCdtr``, ``Purp``, ``CtgyPurp``, ``LclInstrm``, other service levels, ``TxId``,
  ``AccptncDtTm``, ``ClrSys``, agents' LEI / other id, party organisation or private ids, charge
  agents, clearing systems without an MT code; MT -> MX: ``:13C:``, ``:26T:``, ``:51A:``, ``:53a:``,
  ``:54a:``, ``:55a:``, ``:77B:``, option B locations, institution accounts, option D address lines,
  option F lines 4-8 and the party identifier).

Never shortened, rewritten or dropped (the mapping raises instead): amounts, currencies, dates,
BICs, accounts (at most 34 characters in MT) and the UETR. A pacs.008 with several transactions is
mapped one transaction at a time (``transaction_index``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, NamedTuple, TypeVar

from .errors import FieldError, MessageValidationError
from .iso20022.checks import iban_problem
from .iso20022.common import Account, Agent
from .iso20022.common import Party as IsoParty
from .iso20022.pacs008 import Charge, Pacs008, Pacs008Transaction, build_pacs008
from .swift_mt import MT103, CurrencyAmount, Institution, InstructionCode, TimeIndication, build_mt103, make_envelope
from .swift_mt import Party as MtParty
from .swift_mt.charset import X_CHARACTERS, transliterate_to_x, wrap_x_lines
from .swift_mt.fields import render_institution, render_time_indication
from .swift_mt.messages import MT103_INSTRUCTION_CODES

T = TypeVar("T")

NOT_PROVIDED = "NOTPROVIDED"
SERVICE_LEVEL_OPERATION_CODES = frozenset({"SPRI", "SSTD", "SPAY"})

#: MT party identifier clearing codes (``//FW021000018``) <-> ISO ExternalClearingSystemIdentification1Code.
CLEARING_CODES: dict[str, str] = {
    "FW": "USABA",
    "CP": "USPID",
    "SC": "GBDSC",
    "BL": "DEBLZ",
    "AT": "ATBLZ",
    "AU": "AUBSB",
    "CC": "CACPA",
    "ES": "ESNCC",
    "IT": "ITNCC",
    "SW": "CHBCC",
    "NZ": "NZNCC",
    "IE": "IENCC",
    "PT": "PTNCC",
    "HK": "HKNCC",
    "IN": "INFSC",
}
_ISO_TO_MT_CLEARING = {iso: mt for mt, iso in CLEARING_CODES.items()}
_INSTRUCTION_RE = re.compile(r"^([A-Z]{4})(?:/(.{1,30}))?$")


class Rule(StrEnum):
    """Why a value changed on its way to the other message (see the module docstring)."""

    X_CHARSET = "x-charset"
    NAME_ADDRESS_4X35 = "name-address-4x35"
    REFERENCE_16X = "reference-16x"
    END_TO_END_ID_ROC = "end-to-end-id-roc"
    CREDITOR_REFERENCE_RFB = "creditor-reference-rfb"
    REMITTANCE_4X35 = "remittance-4x35"
    INSTRUCTIONS_6X35 = "instructions-6x35"
    INSTRUCTION_FOR_CREDITOR_AGENT_ACC = "instruction-for-creditor-agent-acc"
    CHARGE_BEARER_SLEV = "charge-bearer-slev"
    CHARGES_SUMMED = "charges-summed"
    INSTRUCTED_AMOUNT_FROM_SETTLEMENT = "instructed-amount-from-settlement"
    ZERO_SENDERS_CHARGE = "zero-senders-charge"
    EXCHANGE_RATE_SAME_CURRENCY = "exchange-rate-same-currency"
    PARTY_BIC_WITH_NAME = "party-bic-with-name"
    NOT_CARRIED = "not-carried"


@dataclass(frozen=True)
class TruncationNote:
    """One value that did not map unchanged: where (``field``), from what, to what (None: dropped), and why."""

    field: str
    original: str
    mapped: str | None
    rule: Rule


class Mapped(NamedTuple, Generic[T]):
    """A mapped message and the notes of everything that did not map unchanged."""

    message: T
    notes: list[TruncationNote]


CHARGE_BEARER_TO_ISO = {"OUR": "DEBT", "BEN": "CRED", "SHA": "SHAR"}
CHARGE_BEARER_TO_MT = {"DEBT": "OUR", "CRED": "BEN", "SHAR": "SHA", "SLEV": "SHA"}


class _Notes(list[TruncationNote]):
    def add(self, field: str, original: object, mapped: object, rule: Rule) -> None:
        self.append(TruncationNote(field, _show(original), None if mapped is None else _show(mapped), rule))


def _show(value: object) -> str:
    """Render a value as it would be written in the message it came from (MT fields in FIN text)."""
    if isinstance(value, tuple | list):
        return "\n".join(_show(v) for v in value)
    if isinstance(value, Institution):
        option, text = render_institution(value)
        return f"{option}:{text}"
    if isinstance(value, TimeIndication):
        return render_time_indication(value)
    return str(value)


# =========================================================================== MT103 -> pacs.008


def mt103_to_pacs008(
    mt103: MT103,
    *,
    message_id: str | None = None,
    created: datetime | None = None,
    end_to_end_id: str | None = None,
    settlement_method: str = "INDA",
) -> Mapped[Pacs008]:
    """Return the pacs.008.001.08 (one transaction, CBPR+ layout) carrying ``mt103`` and the mapping notes.

    Raises MessageValidationError if the result is not a valid pacs.008.
    """
    notes = _Notes()
    sender, receiver = Agent(bic=mt103.sender_bic), Agent(bic=mt103.receiver_bic)
    remittance = list(mt103.remittance_information)
    roc = remittance.pop(0)[5:] if remittance and remittance[0].startswith("/ROC/") else None
    rfb = remittance.pop(0)[5:] if remittance and remittance[0].startswith("/RFB/") else None
    debtor, debtor_account = _iso_party(mt103.ordering_customer, ":50a:", notes)
    creditor, creditor_account = _iso_party(mt103.beneficiary_customer, ":59a:", notes)
    for tag, value in (
        (":13C:", mt103.time_indications),
        (":26T:", mt103.transaction_type_code),
        (":51A:", mt103.sending_institution),
        (":53a:", mt103.senders_correspondent),
        (":54a:", mt103.receivers_correspondent),
        (":55a:", mt103.third_reimbursement_institution),
        (":77B:", mt103.regulatory_reporting),
    ):
        if value:
            notes.add(tag, value, None, Rule.NOT_CARRIED)
    charge_bearer = CHARGE_BEARER_TO_ISO.get(mt103.details_of_charges, mt103.details_of_charges)
    charges = tuple(Charge(c.amount, c.currency, sender) for c in mt103.senders_charges)
    if mt103.receivers_charges is not None:
        charges += (Charge(mt103.receivers_charges.amount, mt103.receivers_charges.currency, sender),)
    operation = mt103.bank_operation_code
    transaction = Pacs008Transaction(
        instruction_id=mt103.sender_reference,
        end_to_end_id=end_to_end_id or roc or NOT_PROVIDED,
        uetr=mt103.uetr,
        service_level=operation if operation in SERVICE_LEVEL_OPERATION_CODES else None,
        amount=mt103.amount,
        currency=mt103.currency,
        settlement_date=mt103.value_date,
        instructed_amount=mt103.instructed_amount.amount if mt103.instructed_amount else None,
        instructed_currency=mt103.instructed_amount.currency if mt103.instructed_amount else None,
        exchange_rate=mt103.exchange_rate,
        charge_bearer=charge_bearer,
        charges=charges,
        instructing_agent=sender,
        instructed_agent=receiver,
        intermediary_agent=_iso_agent(mt103.intermediary_institution, ":56a:", notes),
        debtor=debtor,
        debtor_account=debtor_account,
        debtor_agent=_iso_agent(mt103.ordering_institution, ":52a:", notes) or sender,
        creditor_agent=_iso_agent(mt103.account_with_institution, ":57a:", notes) or receiver,
        creditor=creditor,
        creditor_account=creditor_account,
        instructions_for_creditor_agent=tuple(_render_instruction(code) for code in mt103.instruction_codes),
        instructions_for_next_agent=mt103.sender_to_receiver_information,
        remittance_info=tuple(remittance),
        creditor_reference=rfb,
    )
    message = Pacs008(
        message_id=message_id or mt103.sender_reference,
        created=created or datetime.now(UTC),
        transactions=(transaction,),
        settlement_method=settlement_method,
    )
    build_pacs008(message)
    return Mapped(message, list(notes))


def _render_instruction(code: InstructionCode) -> str:
    return code.code + (f"/{code.additional_information}" if code.additional_information is not None else "")


def _iso_account(account: str | None) -> Account | None:
    if account is None:
        return None
    return Account(iban=account) if iban_problem(account) is None else Account(other_id=account)


def _iso_party(party: MtParty, field: str, notes: _Notes) -> tuple[IsoParty, Account | None]:
    account = _iso_account(party.account)
    if party.option == "A":
        return IsoParty(organisation_bic=party.bic), account
    if party.option != "F":
        return IsoParty(name=party.name_address[0], address_lines=tuple(party.name_address[1:])), account
    if party.identifier is not None:
        notes.add(field, party.identifier, None, Rule.NOT_CARRIED)
    names, address, country, town = [], [], None, None
    for line in party.name_address:
        number, content = line[0], line[2:]
        if number == "1":
            names.append(content)
        elif number == "2":
            address.append(content)
        elif number == "3" and country is None and re.match(r"^[A-Z]{2}(/.+)?$", content):
            country, _, town = content.partition("/")
        else:
            notes.add(field, line, None, Rule.NOT_CARRIED)
    return IsoParty(
        name=" ".join(names) or None, address_lines=tuple(address), country=country, town_name=town or None
    ), account


def _iso_agent(institution: Institution | None, field: str, notes: _Notes) -> Agent | None:
    if institution is None:
        return None
    clearing_system = member_id = None
    if institution.account is not None:
        found = re.match(r"^/([A-Z]{2})(.+)$", institution.account)
        if found and found[1] in CLEARING_CODES and not institution.dc_mark:
            clearing_system, member_id = CLEARING_CODES[found[1]], found[2]
        else:
            notes.add(field, institution.account, None, Rule.NOT_CARRIED)
    if institution.option == "A":
        return Agent(bic=institution.bic, clearing_system=clearing_system, member_id=member_id)
    if institution.option == "B" and institution.location:
        notes.add(field, institution.location, None, Rule.NOT_CARRIED)
    name = None
    if institution.option == "D":
        name = institution.name_address[0]
        if len(institution.name_address) > 1:
            notes.add(field, institution.name_address[1:], None, Rule.NOT_CARRIED)
    agent = Agent(clearing_system=clearing_system, member_id=member_id, name=name)
    return agent if (member_id or name) else None


# =========================================================================== pacs.008 -> MT103


def pacs008_to_mt103(
    pacs: Pacs008,
    *,
    transaction_index: int | None = None,
    sender_bic: str | None = None,
    receiver_bic: str | None = None,
    stp: bool = False,
) -> Mapped[MT103]:
    """Return the MT103 carrying one transaction of ``pacs`` and the notes of everything that did not fit.

    ``transaction_index`` is required when the message holds more than one transaction. The sender and
    receiver are the transaction's InstgAgt/InstdAgt, else the group header's, else the arguments.
    Raises MessageValidationError if no valid MT103 can be made.
    """
    if transaction_index is None:
        if len(pacs.transactions) != 1:
            raise MessageValidationError.single(
                "MT103",
                "CdtTrfTxInf",
                f"the pacs.008 holds {len(pacs.transactions)} transactions; an MT103 carries one: "
                "pass transaction_index",
            )
        transaction_index = 0
    tx = pacs.transactions[transaction_index]
    notes = _Notes()
    sender = _bic_of(tx.instructing_agent) or _bic_of(pacs.instructing_agent) or sender_bic
    receiver = _bic_of(tx.instructed_agent) or _bic_of(pacs.instructed_agent) or receiver_bic
    value_date = tx.settlement_date or pacs.settlement_date
    missing = [
        (name, why)
        for name, why, value in (
            ("InstgAgt", "the sender BIC (InstgAgt/FinInstnId/BICFI or sender_bic=) is required", sender),
            ("InstdAgt", "the receiver BIC (InstdAgt/FinInstnId/BICFI or receiver_bic=) is required", receiver),
            ("IntrBkSttlmDt", "the settlement date is required for :32A:", value_date),
        )
        if not value
    ]
    if missing:
        raise MessageValidationError("MT103", [FieldError(name, why) for name, why in missing])
    assert sender and receiver and value_date  # for the type checker

    reference = _reference(tx, pacs, notes)
    _note_not_carried(tx, pacs, notes)
    service_level = tx.service_level or pacs.service_level
    operation = service_level if service_level in SERVICE_LEVEL_OPERATION_CODES else "CRED"
    if service_level and operation == "CRED":
        notes.add("PmtTpInf/SvcLvl/Cd", service_level, None, Rule.NOT_CARRIED)

    instruction_codes, acc_lines = _instructions_for_creditor_agent(tx.instructions_for_creditor_agent, notes)
    charges_bearer = CHARGE_BEARER_TO_MT.get(tx.charge_bearer, tx.charge_bearer)
    if tx.charge_bearer == "SLEV":
        notes.add("ChrgBr", "SLEV", "SHA", Rule.CHARGE_BEARER_SLEV)
    senders_charges, receivers_charges = _charges(tx, charges_bearer, sender, notes)
    instructed = _instructed_amount(tx, bool(senders_charges or receivers_charges), notes)
    exchange_rate = tx.exchange_rate
    if exchange_rate is not None and (instructed is None or instructed.currency == tx.currency):
        notes.add("XchgRate", exchange_rate, None, Rule.EXCHANGE_RATE_SAME_CURRENCY)
        exchange_rate = None

    intermediary = _mt_institution(tx.intermediary_agent, "IntrmyAgt1", "56", "ACD", notes)
    ordering_institution = None
    if not _same_bic(tx.debtor_agent, sender):
        ordering_institution = _mt_institution(tx.debtor_agent, "DbtrAgt", "52", "AD", notes)
    account_with = None
    if intermediary is not None or not _same_bic(tx.creditor_agent, receiver):
        account_with = _mt_institution(tx.creditor_agent, "CdtrAgt", "57", "ACD", notes)

    message = MT103(
        header=make_envelope(
            "103", sender_bic=sender, receiver_bic=receiver, uetr=tx.uetr, validation_flag="STP" if stp else None
        ),
        sender_reference=reference,
        bank_operation_code=operation,
        instruction_codes=instruction_codes,
        value_date=value_date,
        currency=tx.currency,
        amount=tx.amount,
        instructed_amount=instructed,
        exchange_rate=exchange_rate,
        ordering_customer=_mt_party(tx.debtor, tx.debtor_account, "Dbtr", "K", notes),
        ordering_institution=ordering_institution,
        intermediary_institution=intermediary,
        account_with_institution=account_with,
        beneficiary_customer=_mt_party(tx.creditor, tx.creditor_account, "Cdtr", "", notes),
        remittance_information=_remittance(tx, reference, notes),
        details_of_charges=charges_bearer,
        senders_charges=senders_charges,
        receivers_charges=receivers_charges,
        sender_to_receiver_information=_fit_lines(
            [*tx.instructions_for_next_agent, *acc_lines],
            field="InstrForNxtAgt/InstrInf",
            max_lines=6,
            rule=Rule.INSTRUCTIONS_6X35,
            notes=notes,
            verbatim=len(acc_lines),
        ),
    )
    build_mt103(message)
    return Mapped(message, list(notes))


def _bic_of(agent: Agent | None) -> str | None:
    return agent.bic if agent is not None and agent.bic else None


def _bic11(bic: str) -> str:
    return bic + "XXX" if len(bic) == 8 else bic


def _same_bic(agent: Agent | None, bic: str) -> bool:
    """True when ``agent`` is identified by ``bic`` alone (so the MT field would only repeat the header)."""
    return (
        agent is not None
        and agent.bic is not None
        and _bic11(agent.bic) == _bic11(bic)
        and not any((agent.member_id, agent.name, agent.lei, agent.other_id))
    )


def _is_x_line(text: str, width: int = 35) -> bool:
    return 0 < len(text) <= width and set(text) <= X_CHARACTERS and not text.startswith((":", "-"))


def _to_x(text: str, field: str, notes: _Notes) -> str:
    if set(text) <= X_CHARACTERS and not text.startswith((":", "-")):
        return text
    converted = transliterate_to_x(text)
    notes.add(field, text, converted, Rule.X_CHARSET)
    return converted


def _fit_lines(
    texts: list[str] | tuple[str, ...],
    *,
    field: str,
    max_lines: int,
    rule: Rule,
    notes: _Notes,
    width: int = 35,
    verbatim: int = 0,
) -> tuple[str, ...]:
    """Turn free texts into at most ``max_lines`` X lines of ``width``; the last ``verbatim`` are already lines."""
    lines: list[str] = []
    for index, text in enumerate(texts):
        if _is_x_line(text, width) or index >= len(texts) - verbatim:
            lines.append(text)
        else:
            lines.extend(wrap_x_lines(_to_x(text, field, notes), width=width))
    if len(lines) > max_lines:
        notes.add(field, texts, lines[:max_lines], rule)
    return tuple(lines[:max_lines])


def _reference(tx: Pacs008Transaction, pacs: Pacs008, notes: _Notes) -> str:
    if tx.instruction_id:
        field, value = "PmtId/InstrId", tx.instruction_id
    elif tx.end_to_end_id and tx.end_to_end_id != NOT_PROVIDED:
        field, value = "PmtId/EndToEndId", tx.end_to_end_id
    else:
        field, value = "GrpHdr/MsgId", pacs.message_id
    if _is_x_line(value, 16) and not value.startswith("/") and not value.endswith("/") and "//" not in value:
        return value
    cleaned = re.sub(r"/{2,}", "/", transliterate_to_x(value)).strip("/ ")
    cleaned = cleaned[:16].rstrip("/ ") or "NONREF"
    notes.add(field, value, cleaned, Rule.REFERENCE_16X)
    return cleaned


def _note_not_carried(tx: Pacs008Transaction, pacs: Pacs008, notes: _Notes) -> None:
    checks: list[tuple[str, object]] = [
        ("PmtId/TxId", tx.transaction_id if tx.transaction_id != tx.instruction_id else None),
        ("AccptncDtTm", tx.acceptance_datetime),
        ("PmtTpInf/LclInstrm", tx.local_instrument or pacs.local_instrument),
        ("PmtTpInf/CtgyPurp", tx.category_purpose or pacs.category_purpose),
        ("Purp", tx.purpose),
        ("UltmtDbtr", tx.ultimate_debtor),
        ("UltmtCdtr", tx.ultimate_creditor),
        ("GrpHdr/SttlmInf/ClrSys", pacs.clearing_system),
    ]
    for field, value in checks:
        if value:
            notes.add(field, value, None, Rule.NOT_CARRIED)


def _instructions_for_creditor_agent(
    instructions: tuple[str, ...], notes: _Notes
) -> tuple[tuple[InstructionCode, ...], list[str]]:
    codes: list[InstructionCode] = []
    acc_lines: list[str] = []
    for text in instructions:
        found = _INSTRUCTION_RE.match(text)
        if found and found[1] in MT103_INSTRUCTION_CODES and (found[2] is None or set(found[2]) <= X_CHARACTERS):
            codes.append(InstructionCode(found[1], found[2]))
            continue
        wrapped = wrap_x_lines(_to_x(text, "InstrForCdtrAgt/InstrInf", notes), width=30)
        lines = [f"/ACC/{wrapped[0]}", *(f"//{line}" for line in wrapped[1:])] if wrapped else []
        notes.add("InstrForCdtrAgt/InstrInf", text, lines, Rule.INSTRUCTION_FOR_CREDITOR_AGENT_ACC)
        acc_lines.extend(lines)
    return tuple(codes), acc_lines


def _charges(
    tx: Pacs008Transaction, charges_bearer: str, sender: str, notes: _Notes
) -> tuple[tuple[CurrencyAmount, ...], CurrencyAmount | None]:
    if charges_bearer == "OUR":
        prepaid = [c for c in tx.charges if c.agent.bic and _bic11(c.agent.bic) == _bic11(sender)]
        for charge in tx.charges:
            if charge not in prepaid:
                notes.add("ChrgsInf", _show_charge(charge), None, Rule.NOT_CARRIED)
        if not prepaid:
            return (), None
        currency = prepaid[0].currency
        same = [c for c in prepaid if c.currency == currency]
        for charge in prepaid:
            if charge.currency != currency:
                notes.add("ChrgsInf", _show_charge(charge), None, Rule.NOT_CARRIED)
        total = CurrencyAmount(currency, sum((c.amount for c in same), Decimal(0)))
        if len(same) > 1:
            notes.add(
                "ChrgsInf", [_show_charge(c) for c in same], f"{total.currency} {total.amount}", Rule.CHARGES_SUMMED
            )
        return (), total
    senders = []
    for charge in tx.charges:
        if not (charge.agent.bic and _bic11(charge.agent.bic) == _bic11(sender)):
            notes.add("ChrgsInf/Agt", _show_charge(charge), f"{charge.currency} {charge.amount}", Rule.NOT_CARRIED)
        senders.append(CurrencyAmount(charge.currency, charge.amount))
    if charges_bearer == "BEN" and not senders:
        senders.append(CurrencyAmount(tx.currency, Decimal(0)))
        notes.add(":71F:", "", f"{tx.currency} 0", Rule.ZERO_SENDERS_CHARGE)
    return tuple(senders), None


def _show_charge(charge: Charge) -> str:
    agent = charge.agent.bic or charge.agent.name or charge.agent.member_id or NOT_PROVIDED
    return f"{charge.currency} {charge.amount} by {agent}"


def _instructed_amount(tx: Pacs008Transaction, has_charges: bool, notes: _Notes) -> CurrencyAmount | None:
    if tx.instructed_amount is not None:
        return CurrencyAmount(tx.instructed_currency or tx.currency, tx.instructed_amount)
    if has_charges:
        notes.add("InstdAmt", "", f"{tx.currency} {tx.amount}", Rule.INSTRUCTED_AMOUNT_FROM_SETTLEMENT)
        return CurrencyAmount(tx.currency, tx.amount)
    return None


def _mt_account(account: Account | None, field: str) -> str | None:
    if account is None:
        return None
    value = account.iban or account.other_id
    if value and len(value) > 34:
        raise MessageValidationError.single("MT103", field, f"account {value!r} is longer than 34 characters")
    return value or None


def _mt_party(party: IsoParty, account: Account | None, field: str, name_option: str, notes: _Notes) -> MtParty:
    mt_account = _mt_account(account, f"{field}Acct")
    if party.name is None and not party.has_address and party.organisation_bic:
        return MtParty("A", account=mt_account, bic=party.organisation_bic)
    if party.organisation_bic:
        notes.add(f"{field}/Id/OrgId/AnyBIC", party.organisation_bic, None, Rule.PARTY_BIC_WITH_NAME)
    for path, value in (("Id/OrgId/Othr/Id", party.organisation_id), ("Id/PrvtId/Othr/Id", party.private_id)):
        if value:
            notes.add(f"{field}/{path}", value, None, Rule.NOT_CARRIED)
    name = party.name or NOT_PROVIDED
    street = " ".join(p for p in (party.street_name, party.building_number) if p)
    if mt_account is not None and party.country and party.town_name:
        town = " ".join(p for p in (party.town_name, party.post_code) if p)
        numbered = [("1", name), *(("2", line) for line in (*party.address_lines, street) if line)]
        numbered.append(("3", f"{party.country}/{town}"))
        lines = [
            f"{number}/{line}"
            for number, text in numbered
            for line in wrap_x_lines(_to_x(text, field, notes), width=33)
        ]
        if len(lines) > 4:
            notes.add(field, [f"{n}/{t}" for n, t in numbered], lines[:4], Rule.NAME_ADDRESS_4X35)
        return MtParty("F", account=mt_account, name_address=tuple(lines[:4]))
    place = " ".join(p for p in (party.post_code, party.town_name) if p)
    texts = [name, *party.address_lines, *(t for t in (street, place, party.country) if t)]
    lines = _fit_lines(texts, field=field, max_lines=4, rule=Rule.NAME_ADDRESS_4X35, notes=notes)
    return MtParty(name_option, account=mt_account, name_address=lines)


def _mt_institution(agent: Agent | None, field: str, tag: str, options: str, notes: _Notes) -> Institution | None:
    if agent is None or agent == Agent():
        return None
    for path, value in (("LEI", agent.lei), ("Othr/Id", agent.other_id)):
        if value:
            notes.add(f"{field}/FinInstnId/{path}", value, None, Rule.NOT_CARRIED)
    clearing = None
    if agent.member_id:
        code = _ISO_TO_MT_CLEARING.get(agent.clearing_system or "")
        if code is not None and len(agent.member_id) <= 32:
            clearing = f"/{code}{agent.member_id}"
        else:
            notes.add(
                f"{field}/FinInstnId/ClrSysMmbId", f"{agent.clearing_system}/{agent.member_id}", None, Rule.NOT_CARRIED
            )
    if agent.bic:
        if agent.name:
            notes.add(f"{field}/FinInstnId/Nm", agent.name, None, Rule.NOT_CARRIED)
        return Institution("A", account=clearing, bic=agent.bic)
    if agent.name:
        lines = _fit_lines([agent.name], field=field, max_lines=4, rule=Rule.NAME_ADDRESS_4X35, notes=notes)
        return Institution("D", account=clearing, name_address=lines)
    if clearing is not None and "C" in options:
        return Institution("C", account=clearing)
    if clearing is not None:
        notes.add(f"{field}/FinInstnId/ClrSysMmbId", clearing, None, Rule.NOT_CARRIED)
    return None


def _remittance(tx: Pacs008Transaction, reference: str, notes: _Notes) -> tuple[str, ...]:
    lines: list[str] = []
    if tx.end_to_end_id and tx.end_to_end_id not in (NOT_PROVIDED, reference):
        roc = "/ROC/" + _to_x(tx.end_to_end_id, "PmtId/EndToEndId", notes)
        notes.add("PmtId/EndToEndId", tx.end_to_end_id, roc[:35], Rule.END_TO_END_ID_ROC)
        lines.append(roc[:35])
    if tx.creditor_reference:
        rfb = "/RFB/" + _to_x(tx.creditor_reference, "RmtInf/Strd/CdtrRefInf/Ref", notes)
        notes.add("RmtInf/Strd/CdtrRefInf/Ref", tx.creditor_reference, rfb[:35], Rule.CREDITOR_REFERENCE_RFB)
        lines.append(rfb[:35])
    texts = [*lines, *tx.remittance_info]
    return _fit_lines(texts, field="RmtInf/Ustrd", max_lines=4, rule=Rule.REMITTANCE_4X35, notes=notes)


__all__ = [
    "CLEARING_CODES",
    "Mapped",
    "Rule",
    "TruncationNote",
    "mt103_to_pacs008",
    "pacs008_to_mt103",
]

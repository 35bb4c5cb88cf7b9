"""SEPAProtocol: the product's one-call way to create SEPA messages (the seed's public API).

Which message does ``create_sct`` make? A bank back office creates a SEPA credit transfer for a
customer by sending a **pain.001.001.09** (customer-to-bank initiation) to the bank that executes it;
that is what the seed's call (debtor/creditor IBAN and name, amount, reference, remittance) describes.
When QENEX itself is the debtor's bank and submits to a clearing system (STEP2, RT1, TIPS) it needs the
interbank **pacs.008.001.08**: ``create_sct_interbank`` (SCT) and ``create_sct_inst`` (SCT Inst:
LclInstrm INST, AccptncDtTm, 100 000 EUR cap). ``create_sdd`` makes a **pain.008.001.08** collection.

Every create_* validates the result (ISO XSD + semantic + SEPA rules) before returning, so a message
object it returns always serialises; bad data raises MessageValidationError with every problem.
Names and remittance text are converted to the EPC Latin set (see :func:`.sepa.to_epc_latin`) unless
the protocol is created with ``transliterate=False``, in which case such text is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from schwifty import IBAN

from ..errors import FieldError, MessageValidationError
from .checks import iban_problem
from .common import Account, Agent, Party
from .pacs008 import MESSAGE_TYPE as PACS008_MESSAGE_TYPE
from .pacs008 import Pacs008, Pacs008Transaction
from .pain001 import PAIN001_V09, CreditTransferInstruction, CreditTransferPaymentInfo, Pain001
from .pain008 import PAIN008_V08, DirectDebitInstruction, DirectDebitPaymentInfo, Pain008
from .schemas import parse_xml_bytes
from .sepa import is_epc_latin, sct_inst_errors, to_epc_latin


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _new_id() -> str:
    return uuid.uuid4().hex[:35]


class SEPAProtocol:
    """Create SEPA SCT, SCT Inst and SDD messages from plain keyword arguments.

    ``clock`` and ``id_factory`` are injectable so tests (and golden files) get fixed timestamps/ids.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        id_factory: Callable[[], str] = _new_id,
        transliterate: bool = True,
        umlauts_as_digraphs: bool = False,
        initiating_party_name: str | None = None,
    ) -> None:
        self.clock = clock
        self.id_factory = id_factory
        self.transliterate = transliterate
        self.umlauts_as_digraphs = umlauts_as_digraphs
        self.initiating_party_name = initiating_party_name

    # ------------------------------------------------------------------ helpers
    def _text(self, value: str | None, field: str, errors: list[FieldError]) -> str | None:
        """Return ``value`` in the EPC Latin set, converting or (strict mode) recording an error."""
        if value is None:
            return None
        if not isinstance(value, str):
            errors.append(FieldError(field, f"must be text, not {type(value).__name__}"))
            return None
        if is_epc_latin(value):
            return value
        if not self.transliterate:
            errors.append(FieldError(field, "SEPA charset: text contains characters outside the EPC Latin set"))
            return value
        return to_epc_latin(value, umlauts_as_digraphs=self.umlauts_as_digraphs)

    @staticmethod
    def _amount(amount: Decimal, field: str, errors: list[FieldError]) -> Decimal:
        if isinstance(amount, float) or not isinstance(amount, Decimal):
            errors.append(FieldError(field, f"amount must be a Decimal, not {type(amount).__name__}"))
            return Decimal(0)
        return amount

    @staticmethod
    def _iban(value: str, field: str, errors: list[FieldError]) -> str:
        compact = (value or "").replace(" ", "").upper() if isinstance(value, str) else ""
        problem = iban_problem(compact)
        if problem:
            errors.append(FieldError(field, problem))
        return compact

    @staticmethod
    def _agent(iban: str, bic: str | None) -> Agent | None:
        """Use the given BIC, else derive it from schwifty's bank registry, else None (IBAN-only).

        A mandatory agent without BIC is written as FinInstnId/Othr/Id NOTPROVIDED (EPC convention).
        """
        if bic:
            return Agent(bic=bic)
        if iban_problem(iban) is None:
            derived = IBAN(iban).bic
            if derived is not None:
                return Agent(bic=str(derived))
        return None

    # ------------------------------------------------------------------ SCT (pain.001)
    def create_sct(
        self,
        *,
        debtor_iban: str,
        debtor_name: str,
        creditor_iban: str,
        creditor_name: str,
        amount: Decimal,
        reference: str,
        remittance_info: str | None = None,
        debtor_bic: str | None = None,
        creditor_bic: str | None = None,
        execution_date: date | None = None,
        message_id: str | None = None,
        payment_info_id: str | None = None,
    ) -> Pain001:
        """Create a SEPA credit transfer initiation (pain.001.001.09) with one transaction.

        ``reference`` is the end-to-end id the creditor sees; ``remittance_info`` the unstructured
        remittance (max 140). BICs are optional (IBAN-only SEPA).
        """
        errors: list[FieldError] = []
        checked_amount = self._amount(amount, "amount", errors)
        debtor_iban = self._iban(debtor_iban, "debtor_iban", errors)
        creditor_iban = self._iban(creditor_iban, "creditor_iban", errors)
        debtor_name = self._text(debtor_name, "debtor_name", errors)
        creditor_name = self._text(creditor_name, "creditor_name", errors)
        remittance = self._text(remittance_info, "remittance_info", errors)
        initiator = self._text(self.initiating_party_name or debtor_name, "initiating_party_name", errors)
        if errors:
            raise MessageValidationError(PAIN001_V09, errors)
        now = self.clock()
        message = Pain001(
            message_id=message_id or self.id_factory(),
            created=now,
            initiating_party=Party(name=initiator),
            payment_infos=(
                CreditTransferPaymentInfo(
                    payment_info_id=payment_info_id or self.id_factory(),
                    requested_execution_date=execution_date or now.date(),
                    debtor=Party(name=debtor_name),
                    debtor_account=Account(iban=debtor_iban),
                    debtor_agent=self._agent(debtor_iban, debtor_bic) or Agent(),
                    service_level="SEPA",
                    charge_bearer="SLEV",
                    transactions=(
                        CreditTransferInstruction(
                            end_to_end_id=reference,
                            amount=checked_amount,
                            currency="EUR",
                            creditor=Party(name=creditor_name),
                            creditor_account=Account(iban=creditor_iban),
                            # CdtrAgt is optional in pain.001: left out (not NOTPROVIDED) when the BIC is unknown.
                            creditor_agent=self._agent(creditor_iban, creditor_bic),
                            remittance_info=(remittance,) if remittance else (),
                        ),
                    ),
                ),
            ),
        )
        message.to_xml()  # full XSD + semantic + SEPA validation; raises with every problem
        return message

    # ------------------------------------------------------------------ SCT / SCT Inst (pacs.008)
    def create_sct_interbank(
        self,
        *,
        debtor_iban: str,
        debtor_name: str,
        creditor_iban: str,
        creditor_name: str,
        amount: Decimal,
        reference: str,
        remittance_info: str | None = None,
        debtor_bic: str | None = None,
        creditor_bic: str | None = None,
        settlement_date: date | None = None,
        message_id: str | None = None,
        transaction_id: str | None = None,
        uetr: str | None = None,
    ) -> Pacs008:
        """Create the interbank SEPA credit transfer (pacs.008.001.08, settlement CLRG, charge bearer SLEV)."""
        return self._pacs008(
            instant=False,
            debtor_iban=debtor_iban,
            debtor_name=debtor_name,
            creditor_iban=creditor_iban,
            creditor_name=creditor_name,
            amount=amount,
            reference=reference,
            remittance_info=remittance_info,
            debtor_bic=debtor_bic,
            creditor_bic=creditor_bic,
            settlement_date=settlement_date,
            message_id=message_id,
            transaction_id=transaction_id,
            uetr=uetr,
        )

    def create_sct_inst(
        self,
        *,
        debtor_iban: str,
        debtor_name: str,
        creditor_iban: str,
        creditor_name: str,
        amount: Decimal,
        reference: str,
        remittance_info: str | None = None,
        debtor_bic: str | None = None,
        creditor_bic: str | None = None,
        settlement_date: date | None = None,
        message_id: str | None = None,
        transaction_id: str | None = None,
        uetr: str | None = None,
    ) -> Pacs008:
        """Create a SEPA Instant credit transfer (pacs.008.001.08 with LclInstrm INST, AccptncDtTm, max 100 000 EUR)."""
        return self._pacs008(
            instant=True,
            debtor_iban=debtor_iban,
            debtor_name=debtor_name,
            creditor_iban=creditor_iban,
            creditor_name=creditor_name,
            amount=amount,
            reference=reference,
            remittance_info=remittance_info,
            debtor_bic=debtor_bic,
            creditor_bic=creditor_bic,
            settlement_date=settlement_date,
            message_id=message_id,
            transaction_id=transaction_id,
            uetr=uetr,
        )

    def _pacs008(
        self,
        *,
        instant: bool,
        debtor_iban: str,
        debtor_name: str,
        creditor_iban: str,
        creditor_name: str,
        amount: Decimal,
        reference: str,
        remittance_info: str | None = None,
        debtor_bic: str | None = None,
        creditor_bic: str | None = None,
        settlement_date: date | None = None,
        message_id: str | None = None,
        transaction_id: str | None = None,
        uetr: str | None = None,
    ) -> Pacs008:
        message_type = PACS008_MESSAGE_TYPE
        errors: list[FieldError] = []
        checked_amount = self._amount(amount, "amount", errors)
        debtor_iban = self._iban(debtor_iban, "debtor_iban", errors)
        creditor_iban = self._iban(creditor_iban, "creditor_iban", errors)
        debtor_name = self._text(debtor_name, "debtor_name", errors)
        creditor_name = self._text(creditor_name, "creditor_name", errors)
        remittance = self._text(remittance_info, "remittance_info", errors)
        if errors:
            raise MessageValidationError(message_type, errors)
        now = self.clock()
        message = Pacs008(
            message_id=message_id or self.id_factory(),
            created=now,
            settlement_method="CLRG",
            settlement_date=settlement_date or now.date(),
            service_level="SEPA",
            local_instrument="INST" if instant else None,
            transactions=(
                Pacs008Transaction(
                    end_to_end_id=reference,
                    transaction_id=transaction_id or reference,
                    uetr=uetr,
                    amount=checked_amount,
                    currency="EUR",
                    charge_bearer="SLEV",
                    acceptance_datetime=now if instant else None,
                    debtor=Party(name=debtor_name),
                    debtor_account=Account(iban=debtor_iban),
                    debtor_agent=self._agent(debtor_iban, debtor_bic) or Agent(),
                    creditor_agent=self._agent(creditor_iban, creditor_bic) or Agent(),
                    creditor=Party(name=creditor_name),
                    creditor_account=Account(iban=creditor_iban),
                    remittance_info=(remittance,) if remittance else (),
                ),
            ),
        )
        raw = message.to_xml()
        if instant:
            inst_errors = sct_inst_errors(parse_xml_bytes(raw, message_type).getroot())
            if inst_errors:  # pragma: no cover - the fields are set above; kept as a guard
                raise MessageValidationError(message_type, inst_errors)
        return message

    # ------------------------------------------------------------------ SDD (pain.008)
    def create_sdd(
        self,
        *,
        creditor_iban: str,
        creditor_name: str,
        creditor_id: str,
        debtor_iban: str,
        debtor_name: str,
        amount: Decimal,
        mandate_id: str,
        mandate_signature_date: date,
        sequence_type: str,
        reference: str,
        collection_date: date,
        remittance_info: str | None = None,
        scheme: str = "CORE",
        creditor_bic: str | None = None,
        debtor_bic: str | None = None,
        message_id: str | None = None,
        payment_info_id: str | None = None,
    ) -> Pain008:
        """Create a SEPA direct debit initiation (pain.008.001.08) for one collection under one mandate.

        ``sequence_type`` is FRST, RCUR, OOFF or FNAL; ``scheme`` CORE or B2B; ``creditor_id`` the SEPA
        creditor identifier (e.g. DE98ZZZ09999999999).
        """
        errors: list[FieldError] = []
        checked_amount = self._amount(amount, "amount", errors)
        creditor_iban = self._iban(creditor_iban, "creditor_iban", errors)
        debtor_iban = self._iban(debtor_iban, "debtor_iban", errors)
        creditor_name = self._text(creditor_name, "creditor_name", errors)
        debtor_name = self._text(debtor_name, "debtor_name", errors)
        remittance = self._text(remittance_info, "remittance_info", errors)
        initiator = self._text(self.initiating_party_name or creditor_name, "initiating_party_name", errors)
        if errors:
            raise MessageValidationError(PAIN008_V08, errors)
        message = Pain008(
            message_id=message_id or self.id_factory(),
            created=self.clock(),
            initiating_party=Party(name=initiator),
            payment_infos=(
                DirectDebitPaymentInfo(
                    payment_info_id=payment_info_id or self.id_factory(),
                    requested_collection_date=collection_date,
                    creditor=Party(name=creditor_name),
                    creditor_account=Account(iban=creditor_iban),
                    creditor_agent=self._agent(creditor_iban, creditor_bic) or Agent(),
                    creditor_scheme_id=creditor_id,
                    sequence_type=sequence_type,
                    local_instrument=scheme,
                    service_level="SEPA",
                    charge_bearer="SLEV",
                    transactions=(
                        DirectDebitInstruction(
                            end_to_end_id=reference,
                            amount=checked_amount,
                            currency="EUR",
                            mandate_id=mandate_id,
                            mandate_signature_date=mandate_signature_date,
                            debtor=Party(name=debtor_name),
                            debtor_account=Account(iban=debtor_iban),
                            debtor_agent=self._agent(debtor_iban, debtor_bic) or Agent(),
                            remittance_info=(remittance,) if remittance else (),
                        ),
                    ),
                ),
            ),
        )
        message.to_xml()
        return message

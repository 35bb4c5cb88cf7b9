"""SEPA SCT / SCT Inst (a CSM such as STEP2 or TIPS) and CBPR+: pacs.008 (CBPR+ also pacs.009) in, pacs.002 out.

De-duplication is on the UETR when the message carries one transaction with a UETR (CBPR+ always
does); otherwise on the group's MsgId, the check SEPA CSMs make. Answers: SCT ACCP (accepted by the
CSM) then ACSC (settled); SCT Inst and CBPR+ ACSC; RJCT with an ISO external reason code; an
unreadable message gets a group RJCT with FF01 and the first problems in AddtlInf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apps.payments.formats import iso20022
from apps.payments.formats.errors import FieldError, MessageValidationError
from apps.payments.formats.iso20022 import (
    BusinessMessage,
    Camt029,
    OriginalGroupStatus,
    Pacs002,
    Pacs004,
    Pacs008,
    Pacs009,
    StatusReason,
    TransactionStatus,
    build_pacs002,
)
from apps.payments.formats.iso20022.pacs004 import ReturnedTransaction, build_pacs004

from ..outcomes import ACCEPT, REJECT, RETURN, Outcome
from .base import AnswerContext, Received, Reply, describe_errors

PACS008 = "pacs.008.001.08"
PACS009 = "pacs.009.001.08"
PACS002 = "pacs.002.001.10"
PACS004 = "pacs.004.001.09"
XML = "application/xml"
INVALID_FORMAT = "FF01"
_MSG_ID_RE = re.compile(rb"<(?:\w+:)?MsgId>([^<]{1,35})</(?:\w+:)?MsgId>")


@dataclass(frozen=True)
class Iso20022Rail:
    """One ISO 20022 rail. ``instant``: SCT Inst rules; ``cbpr``: SWIFT CBPR+ (UETR mandatory, any currency)."""

    name: str
    instant: bool = False
    cbpr: bool = False
    path: str = "messages"
    default_reject_reason: str = "AC04"
    supports_return: bool = False

    def read(self, raw: bytes, already_seen: set[str]) -> Received:
        try:
            parsed = iso20022.parse(raw)
        except MessageValidationError as exc:
            return Received.refused(raw, exc.message_type, tuple(exc.errors), parsed=_original_message_id(raw))
        document = parsed.document if isinstance(parsed, BusinessMessage) else parsed
        if isinstance(document, Camt029):
            # A bank's answer to a recall: the network forwards it to the requester; nothing to answer us.
            key = f"MsgId:{document.assignment_id}"
            return Received(key, (key,), document.message_type, parsed=document)
        if isinstance(document, Pacs004):
            # A bank returning a payment it received (pacs.004): de-duplicated on its MsgId, settled like a transfer.
            key = f"MsgId:{document.message_id}"
            originals = tuple(tx.original_uetr for tx in document.transactions if tx.original_uetr)
            return Received(key, (key, *originals), PACS004, parsed=document)
        if self.cbpr and isinstance(document, Pacs009):
            # A bank-to-bank transfer (a cover's pacs.009 COV quotes the UETR of the pacs.008 it funds): its own
            # message, de-duplicated on its MsgId.
            key = f"MsgId:{document.message_id}"
            errors = [
                FieldError(f"CdtTrfTxInf[{index}]/PmtId/UETR", "CBPR+ requires a UETR")
                for index, tx in enumerate(document.transactions, start=1)
                if not tx.uetr
            ]
            return Received(key, (key,), PACS009, errors=tuple(errors), parsed=document)
        if not isinstance(document, Pacs008):
            error = FieldError("Document", f"{self.name} takes {PACS008}, got {document.message_type}")
            return Received.refused(raw, document.message_type, (error,), parsed=getattr(document, "message_id", None))
        errors = self._rail_errors(document)
        uetrs = tuple(tx.uetr for tx in document.transactions if tx.uetr)
        if len(document.transactions) == 1 and uetrs:
            key = uetrs[0]
        else:
            key = f"MsgId:{document.message_id}"
        ids = (key, *(u for u in uetrs if u != key), f"MsgId:{document.message_id}")
        return Received(
            key=key, ids=tuple(dict.fromkeys(ids)), message_type=PACS008, errors=tuple(errors), parsed=document
        )

    def _rail_errors(self, message: Pacs008) -> list[FieldError]:
        errors: list[FieldError] = []
        for index, tx in enumerate(message.transactions, start=1):
            where = f"CdtTrfTxInf[{index}]"
            service = tx.service_level or message.service_level
            instrument = tx.local_instrument or message.local_instrument
            if self.cbpr:
                if not tx.uetr:
                    errors.append(FieldError(f"{where}/PmtId/UETR", "CBPR+ requires a UETR"))
                continue
            if service != "SEPA":
                errors.append(FieldError(f"{where}/PmtTpInf/SvcLvl", f"{self.name} takes service level SEPA"))
            if self.instant and instrument != "INST":
                errors.append(FieldError(f"{where}/PmtTpInf/LclInstrm", "SCT Inst needs local instrument INST"))
            if not self.instant and instrument == "INST":
                errors.append(FieldError(f"{where}/PmtTpInf/LclInstrm", "an INST payment goes to sepa_inst"))
        return errors

    def answer(self, received: Received, outcome: Outcome, context: AnswerContext) -> list[Reply]:
        delay = context.delay_seconds
        if not received.valid:
            return [_group_rejection(received, context, delay)]
        if isinstance(received.parsed, Pacs004):
            return [_return_settled(received.parsed, context, delay)]
        if isinstance(received.parsed, Camt029):
            return []
        message: Pacs008 | Pacs009 = received.parsed
        if outcome.kind == REJECT:
            reason = outcome.reason or self.default_reject_reason
            return [_status(message, context, "RJCT", reason, delay, 1)]
        if outcome.kind not in (ACCEPT, RETURN):
            return []
        if self.instant or self.cbpr:
            return [_status(message, context, "ACSC", None, delay, 1)]
        replies = [
            _status(message, context, "ACCP", None, delay, 1),
            _status(message, context, "ACSC", None, 2 * delay, 2),
        ]
        if outcome.kind == RETURN:  # the beneficiary's bank sends the money back after settlement
            replies.append(_payment_return(message, context, outcome.reason or "AC04", 3 * delay))
        return replies


def _original_message_id(raw: bytes) -> str | None:
    found = _MSG_ID_RE.search(raw[:8192])
    return found[1].decode("utf-8", "replace").strip() or None if found else None


def _message_id_of(received: Received) -> str | None:
    """The original MsgId: from the message when it read (rail rules broken), else what the bytes show."""
    return received.parsed.message_id if isinstance(received.parsed, Pacs008 | Pacs009) else received.parsed


def _report_id(context: AnswerContext, number: int) -> str:
    return f"{context.network_reference}-{number}"


def _status(
    message: Pacs008 | Pacs009, context: AnswerContext, status: str, reason: str | None, after: float, number: int
) -> Reply:
    reasons = (StatusReason(code=reason),) if reason else ()
    report = Pacs002(
        message_id=_report_id(context, number),
        created=context.now,
        original_groups=(
            OriginalGroupStatus(
                original_message_id=message.message_id,
                original_message_name_id=message.message_type,
                original_created=message.created,
                original_number_of_transactions=len(message.transactions),
                group_status=status,
                reasons=reasons,
            ),
        ),
        transactions=tuple(
            TransactionStatus(
                status=status,
                status_id=f"{context.network_reference}-{number}-{index}",
                original_instruction_id=tx.instruction_id,
                original_end_to_end_id=tx.end_to_end_id,
                original_transaction_id=tx.transaction_id,
                original_uetr=tx.uetr,
                reasons=reasons,
            )
            for index, tx in enumerate(message.transactions, start=1)
        ),
    )
    body = build_pacs002(report).decode("utf-8")
    return Reply("status", status, PACS002, XML, body, after, reason)


def _group_rejection(received: Received, context: AnswerContext, after: float) -> Reply:
    lines = describe_errors(received.errors, width=105, max_lines=5)
    report = Pacs002(
        message_id=_report_id(context, 1),
        created=context.now,
        original_groups=(
            OriginalGroupStatus(
                original_message_id=_message_id_of(received) or "NOTPROVIDED",
                original_message_name_id=PACS008,
                group_status="RJCT",
                reasons=(StatusReason(code=INVALID_FORMAT, additional_info=tuple(lines)),),
            ),
        ),
    )
    body = build_pacs002(report).decode("utf-8")
    return Reply("status", "RJCT", PACS002, XML, body, after, INVALID_FORMAT)


def _payment_return(message: Pacs008, context: AnswerContext, reason: str, after: float) -> Reply:
    """The beneficiary bank's pacs.004 for every transaction of ``message``, quoting its ids."""
    document = Pacs004(
        message_id=_report_id(context, 3),
        created=context.now.replace(microsecond=0),
        settlement_date=context.now.date(),
        transactions=tuple(
            ReturnedTransaction(
                return_id=f"{context.network_reference}-R{index}",
                returned_amount=tx.amount,
                returned_currency=tx.currency,
                original_message_id=message.message_id,
                original_instruction_id=tx.instruction_id,
                original_end_to_end_id=tx.end_to_end_id,
                original_transaction_id=tx.transaction_id,
                original_uetr=tx.uetr,
                original_amount=tx.amount,
                original_currency=tx.currency,
                charge_bearer="SLEV",
                reasons=(StatusReason(code=reason),),
            )
            for index, tx in enumerate(message.transactions, start=1)
        ),
    )
    return Reply("return", "RETURNED", PACS004, XML, build_pacs004(document).decode("utf-8"), after, reason)


def _return_settled(document: Pacs004, context: AnswerContext, after: float) -> Reply:
    report = Pacs002(
        message_id=_report_id(context, 1),
        created=context.now,
        original_groups=(
            OriginalGroupStatus(
                original_message_id=document.message_id, original_message_name_id=PACS004, group_status="ACSC"
            ),
        ),
    )
    return Reply("status", "ACSC", PACS002, XML, build_pacs002(report).decode("utf-8"), after, None)


SEPA = Iso20022Rail("sepa", supports_return=True)
SEPA_INST = Iso20022Rail("sepa_inst", instant=True)
CBPR_PLUS = Iso20022Rail("swift", cbpr=True)

"""Semantic checks the XSD cannot express, run on every message we emit and every message we parse.

The XSD only knows lexical types: it accepts ``<InstdAmt Ccy="JPY">10.5</InstdAmt>``, an IBAN with
a wrong check digit and a group header whose NbOfTxs disagrees with the transactions. These checks
walk the validated tree, so every error keeps the line number of the offending element.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from ..amounts import currency_exponent, is_known_currency
from ..errors import FieldError
from .common import find, find_all, read_decimal, text
from .schemas import element_path

_IBAN_TAGS = {"IBAN"}
_BIC_TAGS = {"BICFI", "BIC", "AnyBIC", "BICOrBEI"}

#: (container holding NbOfTxs/CtrlSum, path of the transactions below the Document's message root,
#:  path of each transaction's amount, total amount element or None)
_COUNT_RULES: dict[str, tuple[str, str, tuple[str, ...], str | None]] = {
    "pacs.008": ("GrpHdr", "CdtTrfTxInf", ("IntrBkSttlmAmt",), "GrpHdr/TtlIntrBkSttlmAmt"),
    "pacs.009": ("GrpHdr", "CdtTrfTxInf", ("IntrBkSttlmAmt",), "GrpHdr/TtlIntrBkSttlmAmt"),
    "pacs.004": ("GrpHdr", "TxInf", ("RtrdIntrBkSttlmAmt",), "GrpHdr/TtlRtrdIntrBkSttlmAmt"),
    "pain.001": ("GrpHdr", "PmtInf/CdtTrfTxInf", ("Amt/InstdAmt", "Amt/EqvtAmt/Amt"), None),
    "pain.008": ("GrpHdr", "PmtInf/DrctDbtTxInf", ("InstdAmt",), None),
}


def iban_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid IBAN (country format and mod-97 check digits), or None."""
    try:
        IBAN(value)
    except SchwiftyException as exc:
        return f"invalid IBAN {value!r}: {exc}"
    return None


def bic_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid BIC (structure and ISO 3166 country), or None."""
    try:
        BIC(value)
    except SchwiftyException as exc:
        return f"invalid BIC {value!r}: {exc}"
    return None


def semantic_errors(document: etree._Element, message_type: str) -> list[FieldError]:
    """Return every semantic error of a Document (tolerant of XSD-invalid trees)."""
    errors: list[FieldError] = []
    errors.extend(_identifier_and_amount_errors(document))
    family = message_type[:8]
    message_root = _message_root(document)
    if message_root is not None and family in _COUNT_RULES:
        errors.extend(_count_errors(message_root, *_COUNT_RULES[family]))
        if family in ("pain.001", "pain.008"):
            tx_tag = "CdtTrfTxInf" if family == "pain.001" else "DrctDbtTxInf"
            amounts = _COUNT_RULES[family][2]
            for payment_info in find_all(message_root, "PmtInf"):
                errors.extend(_count_errors(payment_info, "", tx_tag, amounts, None))
    if message_root is not None and family in ("pacs.002", "pain.002"):
        errors.extend(_rejection_reason_errors(message_root))
    if message_root is not None and message_type == "camt.053.001.08":
        errors.extend(_statement_balance_errors(message_root))
    return errors


def _message_root(document: etree._Element) -> etree._Element | None:
    for child in document:
        if isinstance(child.tag, str):
            return child
    return None


def _identifier_and_amount_errors(document: etree._Element) -> list[FieldError]:
    errors: list[FieldError] = []
    for element in document.iter(etree.Element):
        local = etree.QName(element).localname
        value = (element.text or "").strip()
        if local in _IBAN_TAGS and value:
            problem = iban_problem(value)
            if problem:
                errors.append(FieldError(element_path(element), problem, element.sourceline))
        elif local in _BIC_TAGS and value:
            problem = bic_problem(value)
            if problem:
                errors.append(FieldError(element_path(element), problem, element.sourceline))
        currency = element.get("Ccy")
        if currency is not None and value:
            problem = _amount_problem(value, currency)
            if problem:
                errors.append(FieldError(element_path(element), problem, element.sourceline))
    return errors


def _amount_problem(value: str, currency: str) -> str | None:
    if not is_known_currency(currency):
        return f"unknown ISO 4217 currency {currency!r}"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None  # the XSD reports the lexical error
    exponent = currency_exponent(currency)
    if exponent is None or not amount.is_finite():
        return None
    try:
        too_precise = amount != amount.quantize(Decimal(1).scaleb(-exponent))
    except InvalidOperation:
        return None  # beyond Decimal precision: the XSD's totalDigits reports it
    if too_precise:
        return f"{currency} allows at most {exponent} decimal places, got {value}"
    return None


def _count_errors(
    container_root: etree._Element,
    header_path: str,
    tx_path: str,
    amount_paths: tuple[str, ...],
    total_path: str | None,
) -> list[FieldError]:
    """Check NbOfTxs, CtrlSum (and a total amount) against the transactions they summarise."""
    errors: list[FieldError] = []
    header = find(container_root, header_path) if header_path else container_root
    if header is None:
        return errors
    transactions = find_all(container_root, tx_path)
    amounts: list[tuple[Decimal, str]] = []
    for tx in transactions:
        for amount_path in amount_paths:
            node = find(tx, amount_path)
            value = read_decimal(node)
            if value is not None and node is not None:
                amounts.append((value, node.get("Ccy", "")))
                break
    count_node = find(header, "NbOfTxs")
    if count_node is not None:
        declared = (count_node.text or "").strip()
        if declared.isdigit() and int(declared) != len(transactions):
            errors.append(
                FieldError(
                    element_path(count_node),
                    f"NbOfTxs is {declared} but the message carries {len(transactions)} transaction(s)",
                    count_node.sourceline,
                )
            )
    control_node = find(header, "CtrlSum")
    control = read_decimal(control_node)
    total = sum((value for value, _ in amounts), Decimal(0))
    if control_node is not None and control is not None and control != total:
        errors.append(
            FieldError(
                element_path(control_node),
                f"CtrlSum is {control_node.text} but the transaction amounts add up to {total}",
                control_node.sourceline,
            )
        )
    if total_path:
        total_node = find(container_root, total_path)
        declared_total = read_decimal(total_node)
        if total_node is not None and declared_total is not None:
            currencies = {currency for _, currency in amounts}
            if currencies - {total_node.get("Ccy")}:
                errors.append(
                    FieldError(
                        element_path(total_node),
                        f"total is in {total_node.get('Ccy')} but transactions are in {', '.join(sorted(currencies))}",
                        total_node.sourceline,
                    )
                )
            elif declared_total != total:
                errors.append(
                    FieldError(
                        element_path(total_node),
                        f"total is {total_node.text} but the transaction amounts add up to {total}",
                        total_node.sourceline,
                    )
                )
    return errors


def _rejection_reason_errors(message_root: etree._Element) -> list[FieldError]:
    """A rejection (RJCT) must say why: at least one StsRsnInf/Rsn on the rejected level."""
    errors: list[FieldError] = []
    for status_tag in ("GrpSts", "PmtInfSts", "TxSts"):
        for status in message_root.iter(f"{{{etree.QName(message_root).namespace}}}{status_tag}"):
            if (status.text or "").strip() != "RJCT":
                continue
            holder = status.getparent()
            if not any(find(reason, "Rsn") is not None for reason in find_all(holder, "StsRsnInf")):
                errors.append(
                    FieldError(
                        element_path(status), "status RJCT requires a StsRsnInf/Rsn reason code", status.sourceline
                    )
                )
    return errors


def _statement_balance_errors(message_root: etree._Element) -> list[FieldError]:
    """Opening booked balance plus booked entries must equal the closing booked balance."""
    errors: list[FieldError] = []
    for statement in find_all(message_root, "Stmt"):
        balances: dict[str, tuple[Decimal, etree._Element]] = {}
        for balance in find_all(statement, "Bal"):
            code = text(balance, "Tp/CdOrPrtry/Cd")
            amount = read_decimal(find(balance, "Amt"))
            if code in ("OPBD", "CLBD") and amount is not None:
                sign = -1 if text(balance, "CdtDbtInd") == "DBIT" else 1
                balances[code] = (amount * sign, balance)
        if "OPBD" not in balances or "CLBD" not in balances:
            continue
        movement = Decimal(0)
        for entry in find_all(statement, "Ntry"):
            if text(entry, "Sts/Cd") != "BOOK":
                continue
            amount = read_decimal(find(entry, "Amt")) or Decimal(0)
            movement += -amount if text(entry, "CdtDbtInd") == "DBIT" else amount
        expected = balances["OPBD"][0] + movement
        closing, closing_node = balances["CLBD"]
        if expected != closing:
            errors.append(
                FieldError(
                    element_path(closing_node),
                    f"closing balance {closing} differs from opening balance plus booked entries ({expected})",
                    closing_node.sourceline,
                )
            )
    return errors

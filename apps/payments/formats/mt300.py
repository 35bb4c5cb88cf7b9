"""SWIFT MT300 Foreign Exchange Confirmation: build and parse (the FX desk confirms its LP trades with it).

The subset a spot deal needs: sequence A (15A, 20 sender's reference, 22A type of operation, 94A scope,
22C common reference, 82A party A, 87A party B) and sequence B (15B, 30T trade date, 30V value date,
36 exchange rate, 32B amount bought with 57A its receiving agent, 33B amount sold with 57A). Envelope and block
handling are the swift_mt package's (as for MT103).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from apps.core.money import currency_exponent

from .swift_mt.blocks import (
    decode_raw,
    make_envelope,
    read_envelope,
    render_envelope_and_text,
    split_message,
)
from .swift_mt.fields import Problems

OPERATIONS = frozenset({"NEWT", "AMND", "CANC"})
_REFERENCE = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,16}$")
_AMOUNT = re.compile(r"^([A-Z]{3})(\d{1,12},\d{0,3})$")
_RATE = re.compile(r"^\d{1,12},\d{0,12}$")


@dataclass(frozen=True)
class MT300:
    sender_bic: str
    receiver_bic: str
    reference: str
    party_a: str
    party_b: str
    trade_date: date
    value_date: date
    rate: Decimal
    bought_currency: str
    bought_minor: int
    bought_agent: str
    sold_currency: str
    sold_minor: int
    sold_agent: str
    operation: str = "NEWT"

    @property
    def common_reference(self) -> str:
        """22C: the two parties' bank and location codes in alphabetical order around four digits of the rate."""
        digits = re.sub(r"\D", "", format(self.rate.normalize(), "f")).lstrip("0")
        code = (digits[-4:] if len(digits) >= 4 else digits.rjust(4, "0"))[:4]
        first, second = sorted([self.party_a[:4] + self.party_a[6:8], self.party_b[:4] + self.party_b[6:8]])
        return f"{first}{code}{second}"


def _swift_amount(minor: int, currency: str) -> str:
    exponent = currency_exponent(currency)
    whole, frac = divmod(minor, 10**exponent)
    return f"{currency}{whole}," + (str(frac).rjust(exponent, "0") if exponent else "")


def _swift_rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f").replace(".", ",") + ("," if "." not in format(rate.normalize(), "f") else "")


def build_mt300(message: MT300) -> str:
    problems = Problems("300")
    if not _REFERENCE.match(message.reference) or message.reference.startswith("/") or "//" in message.reference:
        problems.add(":20:", "reference must be 1-16 SWIFT characters, not starting with / nor containing //")
    if message.operation not in OPERATIONS:
        problems.add(":22A:", f"type of operation must be one of {', '.join(sorted(OPERATIONS))}")
    for label, bic in ((":82A:", message.party_a), (":87A:", message.party_b)):
        if len(bic) not in (8, 11):
            problems.add(label, "must be a BIC of 8 or 11 characters")
    if message.rate <= 0:
        problems.add(":36:", "exchange rate must be positive")
    if message.bought_minor <= 0 or message.sold_minor <= 0:
        problems.add(":32B:", "amounts must be positive")
    problems.raise_if_any()
    envelope = make_envelope("300", sender_bic=message.sender_bic, receiver_bic=message.receiver_bic)
    fields = [
        ("15A", ""),
        ("20", message.reference),
        ("22A", message.operation),
        ("94A", "BILA"),
        ("22C", message.common_reference),
        ("82A", message.party_a),
        ("87A", message.party_b),
        ("15B", ""),
        ("30T", message.trade_date.strftime("%Y%m%d")),
        ("30V", message.value_date.strftime("%Y%m%d")),
        ("36", _swift_rate(message.rate)),
        ("32B", _swift_amount(message.bought_minor, message.bought_currency)),
        ("57A", message.bought_agent),
        ("33B", _swift_amount(message.sold_minor, message.sold_currency)),
        ("57A", message.sold_agent),
    ]
    return render_envelope_and_text(envelope, fields)


def _amount(value: str, label: str, problems: Problems) -> tuple[str, int]:
    match = _AMOUNT.match(value)
    if not match:
        problems.add(label, f"expected currency and amount (EUR1000,00), got {value!r}")
        return "", 0
    currency, text = match.groups()
    exponent = currency_exponent(currency)
    whole, _, frac = text.partition(",")
    if len(frac) > exponent:
        problems.add(label, f"{currency} has {exponent} decimals")
        return currency, 0
    return currency, int(whole) * 10**exponent + int(frac.ljust(exponent, "0") or 0)


def parse_mt300(raw: bytes | str) -> MT300:
    problems = Problems("300")
    text = decode_raw(raw, problems)
    problems.raise_if_any()
    split = split_message(text or "", problems)
    envelope = read_envelope(split, problems)
    problems.raise_if_any()
    if envelope is None or envelope.application.message_type != "300":
        problems.add("message", "not an MT300")
        problems.raise_if_any()
    fields = [(f.tag, f.value) for f in split.block4 or []]
    single = {tag: value for tag, value in fields if tag != "57A"}
    agents = [value for tag, value in fields if tag == "57A"]
    for tag in ("20", "22A", "82A", "87A", "30T", "30V", "36", "32B", "33B"):
        if tag not in single:
            problems.add(f":{tag}:", "is required")
    if len(agents) != 2:
        problems.add(":57A:", "one receiving agent for each amount is required")
    problems.raise_if_any()
    if not _RATE.match(single["36"]):
        problems.add(":36:", "exchange rate must be digits with a decimal comma")
    bought_currency, bought_minor = _amount(single["32B"], ":32B:", problems)
    sold_currency, sold_minor = _amount(single["33B"], ":33B:", problems)
    for tag in ("82A", "87A"):
        if len(single[tag]) not in (8, 11):
            problems.add(f":{tag}:", "must be a BIC of 8 or 11 characters")
    try:
        trade, value = (date(int(s[:4]), int(s[4:6]), int(s[6:8])) for s in (single["30T"], single["30V"]))
    except ValueError:
        problems.add(":30T:", "dates must be YYYYMMDD")
    problems.raise_if_any()
    message = MT300(
        sender_bic=envelope.sender_bic,
        receiver_bic=envelope.receiver_bic,
        reference=single["20"], party_a=single["82A"], party_b=single["87A"], trade_date=trade, value_date=value,
        rate=Decimal(single["36"].replace(",", ".").rstrip(".") or "0"),
        bought_currency=bought_currency, bought_minor=bought_minor, bought_agent=agents[0],
        sold_currency=sold_currency, sold_minor=sold_minor, sold_agent=agents[1], operation=single["22A"],
    )  # fmt: skip
    if "22C" in single and single["22C"] != message.common_reference:
        problems.add(":22C:", f"common reference should be {message.common_reference}")
    problems.raise_if_any()
    return message

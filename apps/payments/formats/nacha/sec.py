"""What each Standard Entry Class code allows, as data (Nacha Operating Rules, Appendices Two and Three).

``reader._check_entry`` applies the row of the batch's SEC code to every entry. Fields that some SEC codes rename
keep their positions: the check serial number of ARC/BOC/POP/RCK/TRC/XCK, the card expiration date and document
reference of SHR, the individual name of CIE are all in the 15 characters of ``identification_number`` (40-54) or
the 22 of ``receiver_name`` (55-76); TRC and XCK carry the process control field (55-60) and the item research
number (61-76) in ``receiver_name``.
"""

from __future__ import annotations

from dataclasses import dataclass

ZERO_DOLLAR_CREDITS = frozenset({24, 34})  # zero-dollar entries with remittance data, checking / savings
PRENOTE_CREDITS = frozenset({23, 33})
RETURN_CREDITS = frozenset({21, 31})
# POS / SHR / MTE card transaction type codes (entry detail discretionary data, positions 77-78).
CARD_TRANSACTION_TYPES = frozenset({"01", "02", "03", "11", "12", "13", "21", "22", "23", "99"})


@dataclass(frozen=True)
class SecRule:
    description: str
    direction: str = ""  # "D": debits only, "C": credits only, "": both
    max_amount: int | None = None  # cents, per entry
    zero_dollar: bool = False  # every entry is zero-dollar
    codes: frozenset[int] | None = None  # the transaction codes allowed (besides returns), None: any
    max_addenda_05: int = 1  # 0: no addenda 05; CTX-style batches count them in the entry
    counted_addenda: bool = False  # the entry's number_of_addenda gives the addenda 05 records (CTX layout)
    addenda_02: bool = False  # one addenda 02 (terminal information) required
    check_serial: bool = False  # identification_number is a check serial number and required
    research_fields: bool = False  # process control field and item research number required (TRC, XCK)
    company_entry_description: str = ""  # required value of the batch header field
    card_transaction_type: bool = False  # discretionary data is a card transaction type code
    card_expiration: bool = False  # identification_number starts with the card's expiry, MMYY
    no_effective_date: bool = False  # the batch header's effective entry date may be blank


SEC_RULES: dict[str, SecRule] = {
    "PPD": SecRule("Prearranged payment and deposit"),
    "CCD": SecRule("Corporate credit or debit"),
    "WEB": SecRule("Internet-initiated or mobile entry"),
    "TEL": SecRule("Telephone-initiated entry", direction="D", max_addenda_05=0),
    "CTX": SecRule("Corporate trade exchange", max_addenda_05=9999, counted_addenda=True),
    "ACK": SecRule("ACH payment acknowledgment", zero_dollar=True, codes=ZERO_DOLLAR_CREDITS),
    "ATX": SecRule(
        "Financial EDI acknowledgment",
        zero_dollar=True,
        codes=ZERO_DOLLAR_CREDITS,
        max_addenda_05=9999,
        counted_addenda=True,
    ),
    "ARC": SecRule(
        "Accounts receivable entry", direction="D", max_amount=2_500_000, max_addenda_05=0, check_serial=True
    ),
    "BOC": SecRule(
        "Back office conversion entry", direction="D", max_amount=2_500_000, max_addenda_05=0, check_serial=True
    ),
    "POP": SecRule("Point-of-purchase entry", direction="D", max_amount=2_500_000, max_addenda_05=0, check_serial=True),
    "RCK": SecRule(
        "Re-presented check entry",
        direction="D",
        max_amount=250_000,
        max_addenda_05=0,
        check_serial=True,
        company_entry_description="REDEPCHECK",
    ),
    "XCK": SecRule(
        "Destroyed check entry",
        direction="D",
        max_amount=250_000,
        max_addenda_05=0,
        research_fields=True,
    ),
    "TRC": SecRule("Truncated entry", direction="D", max_addenda_05=0, research_fields=True),
    "TRX": SecRule("Check truncation entries exchange", direction="D", max_addenda_05=9999, counted_addenda=True),
    "CIE": SecRule("Customer-initiated entry", direction="C"),
    "DNE": SecRule("Death notification entry", zero_dollar=True, codes=PRENOTE_CREDITS | RETURN_CREDITS),
    "ENR": SecRule(
        "Automated enrollment entry",
        zero_dollar=True,
        codes=PRENOTE_CREDITS | RETURN_CREDITS,
        company_entry_description="AUTOENROLL",
        no_effective_date=True,
    ),
    "MTE": SecRule("Machine transfer entry", max_addenda_05=0, addenda_02=True),
    "POS": SecRule("Point-of-sale entry", max_addenda_05=0, addenda_02=True, card_transaction_type=True),
    "SHR": SecRule(
        "Shared network entry",
        max_addenda_05=0,
        addenda_02=True,
        card_transaction_type=True,
        card_expiration=True,
    ),
}

# Entry detail layout per SEC code, where it is not the standard one.
ENTRY_RECORD_NAME = {
    "CTX": "ctx_entry_detail",
    "ATX": "ctx_entry_detail",
    "TRX": "ctx_entry_detail",
    "IAT": "iat_entry_detail",
}

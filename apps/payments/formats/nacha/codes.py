"""NACHA code tables: service classes, SEC codes, transaction codes, return and change codes."""

from __future__ import annotations

from .sec import SEC_RULES

SERVICE_CLASS_MIXED = 200
SERVICE_CLASS_CREDITS_ONLY = 220
SERVICE_CLASS_DEBITS_ONLY = 225
SERVICE_CLASS_CODES = frozenset({SERVICE_CLASS_MIXED, SERVICE_CLASS_CREDITS_ONLY, SERVICE_CLASS_DEBITS_ONLY})

#: Standard Entry Class codes this library reads and writes (their rules: ``sec.SEC_RULES``). COR carries
#: notifications of change; IAT international entries. ADV (automated accounting advices, service class 280) has
#: its own record layouts and reader (``adv.py``).
SEC_CODES = frozenset({*SEC_RULES, "IAT", "COR"})

#: Transaction code -> (account type, "C"redit or "D"ebit, kind). Kind is "live", "prenote", "zero"
#: (zero-dollar with remittance) or "return" (automated return / notification of change).
TRANSACTION_CODES: dict[int, tuple[str, str, str]] = {
    21: ("checking", "C", "return"),
    22: ("checking", "C", "live"),
    23: ("checking", "C", "prenote"),
    24: ("checking", "C", "zero"),
    26: ("checking", "D", "return"),
    27: ("checking", "D", "live"),
    28: ("checking", "D", "prenote"),
    29: ("checking", "D", "zero"),
    31: ("savings", "C", "return"),
    32: ("savings", "C", "live"),
    33: ("savings", "C", "prenote"),
    34: ("savings", "C", "zero"),
    36: ("savings", "D", "return"),
    37: ("savings", "D", "live"),
    38: ("savings", "D", "prenote"),
    39: ("savings", "D", "zero"),
    41: ("general_ledger", "C", "return"),
    42: ("general_ledger", "C", "live"),
    43: ("general_ledger", "C", "prenote"),
    44: ("general_ledger", "C", "zero"),
    46: ("general_ledger", "D", "return"),
    47: ("general_ledger", "D", "live"),
    48: ("general_ledger", "D", "prenote"),
    49: ("general_ledger", "D", "zero"),
    51: ("loan", "C", "return"),
    52: ("loan", "C", "live"),
    53: ("loan", "C", "prenote"),
    54: ("loan", "C", "zero"),
    55: ("loan", "D", "live"),
    56: ("loan", "D", "return"),
}

#: Original live/prenote/zero code -> the automated return / NOC code an RDFI uses for it.
RETURN_CODE_FOR = {
    22: 21,
    23: 21,
    24: 21,
    27: 26,
    28: 26,
    29: 26,
    32: 31,
    33: 31,
    34: 31,
    37: 36,
    38: 36,
    39: 36,
    42: 41,
    43: 41,
    44: 41,
    47: 46,
    48: 46,
    49: 46,
    52: 51,
    53: 51,
    54: 51,
    55: 56,
}


def is_credit(transaction_code: int) -> bool:
    """Return True when the code counts in the credit total of the batch and file controls."""
    return TRANSACTION_CODES.get(transaction_code, ("", "", ""))[1] == "C"


def is_debit(transaction_code: int) -> bool:
    return TRANSACTION_CODES.get(transaction_code, ("", "", ""))[1] == "D"


def transaction_kind(transaction_code: int) -> str | None:
    entry = TRANSACTION_CODES.get(transaction_code)
    return entry[2] if entry else None


#: Return reason codes (Nacha Operating Rules, Appendix Four). R01-R85 with the retired/unused numbers left out.
RETURN_REASON_CODES: dict[str, str] = {
    "R01": "Insufficient funds",
    "R02": "Account closed",
    "R03": "No account / unable to locate account",
    "R04": "Invalid account number structure",
    "R05": "Unauthorized debit to consumer account using corporate SEC code",
    "R06": "Returned per ODFI's request",
    "R07": "Authorization revoked by customer",
    "R08": "Payment stopped",
    "R09": "Uncollected funds",
    "R10": "Customer advises not authorized / improper",
    "R11": "Customer advises entry not in accordance with the terms of the authorization",
    "R12": "Account sold to another DFI",
    "R13": "Invalid ACH routing number",
    "R14": "Representative payee deceased or unable to continue",
    "R15": "Beneficiary or account holder deceased",
    "R16": "Account frozen / entry returned per OFAC instruction",
    "R17": "File record edit criteria / questionable entry",
    "R18": "Improper effective entry date",
    "R19": "Amount field error",
    "R20": "Non-transaction account",
    "R21": "Invalid company identification",
    "R22": "Invalid individual ID number",
    "R23": "Credit entry refused by receiver",
    "R24": "Duplicate entry",
    "R25": "Addenda error",
    "R26": "Mandatory field error",
    "R27": "Trace number error",
    "R28": "Routing number check digit error",
    "R29": "Corporate customer advises not authorized",
    "R30": "RDFI not participant in check truncation program",
    "R31": "Permissible return entry (CCD and CTX only)",
    "R32": "RDFI non-settlement",
    "R33": "Return of XCK entry",
    "R34": "Limited participation DFI",
    "R35": "Return of improper debit entry",
    "R36": "Return of improper credit entry",
    "R37": "Source document presented for payment",
    "R38": "Stop payment on source document",
    "R39": "Improper source document / source document presented for payment",
    "R40": "Return of ENR entry by federal government agency",
    "R41": "Invalid transaction code (ENR)",
    "R42": "Routing number / check digit error (ENR)",
    "R43": "Invalid DFI account number (ENR)",
    "R44": "Invalid individual ID number / identification number (ENR)",
    "R45": "Invalid individual name / company name (ENR)",
    "R46": "Invalid representative payee indicator (ENR)",
    "R47": "Duplicate enrollment (ENR)",
    "R50": "State law affecting RCK acceptance",
    "R51": "Item related to RCK entry is ineligible or RCK entry is improper",
    "R52": "Stop payment on item related to RCK entry",
    "R53": "Item and RCK entry presented for payment",
    "R61": "Misrouted return",
    "R62": "Return of erroneous or reversing debit",
    "R67": "Duplicate return",
    "R68": "Untimely return",
    "R69": "Field error(s)",
    "R70": "Permissible return entry not accepted / return not requested by ODFI",
    "R71": "Misrouted dishonored return",
    "R72": "Untimely dishonored return",
    "R73": "Timely original return",
    "R74": "Corrected return",
    "R75": "Return not a duplicate",
    "R76": "No errors found",
    "R77": "Non-acceptance of R62 dishonored return",
    "R80": "IAT entry coding error",
    "R81": "Non-participant in IAT program",
    "R82": "Invalid foreign receiving DFI identification",
    "R83": "Foreign receiving DFI unable to settle",
    "R84": "Entry not processed by Gateway",
    "R85": "Incorrectly coded outbound international payment",
}

#: Return reasons whose addenda may carry a date of death.
DATE_OF_DEATH_REASONS = frozenset({"R14", "R15"})

#: Notification of Change codes (addenda 98).
CHANGE_CODES: dict[str, str] = {
    "C01": "Incorrect DFI account number",
    "C02": "Incorrect routing number",
    "C03": "Incorrect routing number and incorrect DFI account number",
    "C04": "Incorrect individual name / receiving company name",
    "C05": "Incorrect transaction code",
    "C06": "Incorrect DFI account number and incorrect transaction code",
    "C07": "Incorrect routing number, DFI account number and transaction code",
    "C08": "Incorrect receiving DFI identification (IAT only)",
    "C09": "Incorrect individual identification number",
    "C10": "Incorrect company name",
    "C11": "Incorrect company identification",
    "C12": "Incorrect company name and company identification",
    "C13": "Addenda format error",
    "C14": "Incorrect SEC code for outbound international payment",
}

#: IAT foreign exchange indicators: fixed-to-variable, variable-to-fixed, fixed-to-fixed.
FOREIGN_EXCHANGE_INDICATORS = frozenset({"FV", "VF", "FF"})
#: IAT addenda 10 transaction type codes.
IAT_TRANSACTION_TYPE_CODES = frozenset(
    {
        "ANN",
        "BUS",
        "DEP",
        "LOA",
        "MIS",
        "MOR",
        "PEN",
        "RLS",
        "REM",
        "SAL",
        "TAX",
        "TEL",
        "WEB",
        "ARC",
        "BOC",
        "POP",
        "RCK",
    }
)

"""The 128 data elements of ISO 8583, as data: lengths from pyiso8583's spec, element types from ISO 8583.

The length of every element (fixed, LLVAR or LLLVAR and the maximum) comes from pyiso8583's ``default_ascii``
spec (``iso8583.specs``, the maintained library's ISO 8583:1987 ASCII table), so the table is not retyped here.
What pyiso8583 does not carry is each element's type, which decides what a value may hold; :data:`KINDS_1987`
gives it per ISO 8583:1987 (``n`` digits, ``an`` letters/digits/space, ``ans`` printable, ``z`` track 2 data
(digits, ``=`` and ``D``), ``xn`` a ``C``/``D`` sign then digits, ``ns`` digits and specials, ``b`` binary, written
as hex characters in an ASCII message with a hex bitmap and as raw bytes with a binary bitmap).

The 1993 edition (MTIs whose version digit is ``1``: 1100, 1200, 1420, 1804, ...) changes a handful of elements;
:data:`CHANGES_1993` lists the common layout's changes (DE12 date and time, DE22 POS data code an12, DE24
function code, DE25 message reason code, DE26 card acceptor business code, DE39 action code n3, DE43 LLVAR,
DE56 original data elements LLVAR).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from iso8583.specs import default_ascii


@dataclass(frozen=True)
class ElementSpec:
    """One data element. ``length`` is the fixed length or the maximum (for ``b``: in bytes)."""

    number: int
    attribute: str  # the CardMessage attribute, "" when the element is kept in CardMessage.other_elements
    kind: str  # "n", "an", "ans", "ns", "z", "xn", "b"
    length: int
    variable: bool = False
    description: str = ""
    prefix_digits: int = 0  # 0: fixed; 2: LLVAR; 3: LLLVAR


def _kinds(ranges: dict[str, str]) -> dict[int, str]:
    kinds: dict[int, str] = {}
    for kind, numbers in ranges.items():
        for part in numbers.split(","):
            low, _, high = part.partition("-")
            for number in range(int(low), int(high or low) + 1):
                kinds[number] = kind
    return kinds


#: ISO 8583:1987 element types (bit 1 and 65 are bitmaps, handled by the reader).
KINDS_1987: dict[int, str] = _kinds(
    {
        "n": "2-27,32,33,36,49,53,66-90,99,100",
        "xn": "28-31,97",
        "ns": "34",
        "z": "35",
        "an": "37-40,44-48,50,51,54,91-94,95",
        "ans": "41-43,56-63,98,101-127",
        "b": "52,55,64,96,128",
    }
)
# DE95 (replacement amounts) is "an42" in the 1987 table: four amounts of 12, 12, 9 and 9 characters.

#: CardMessage attributes of the elements QENEX reads by name; every other element is kept by number.
ATTRIBUTES: dict[int, str] = {
    2: "pan",
    3: "processing_code",
    4: "amount",
    7: "transmission_datetime",
    11: "stan",
    12: "local_time",
    13: "local_date",
    14: "expiry",
    15: "settlement_date",
    18: "mcc",
    19: "acquirer_country",
    22: "pos_entry_mode",
    25: "pos_condition_code",
    32: "acquirer_id",
    35: "track2",
    37: "rrn",
    38: "auth_id",
    39: "response_code",
    41: "terminal_id",
    42: "merchant_id",
    43: "card_acceptor_name_location",
    49: "currency_code",
    52: "pin_block",
    55: "icc_data",
    70: "network_management_code",
    90: "original_data_elements",
    95: "replacement_amounts",
}


def _from_pyiso8583(number: int, kind: str) -> ElementSpec:
    row = default_ascii[str(number)]
    length = row["max_len"] // 2 if kind == "b" else row["max_len"]  # pyiso8583 counts hex characters
    prefix = row["len_type"]
    return ElementSpec(
        number, ATTRIBUTES.get(number, ""), kind, length, prefix > 0, row["desc"].strip(), prefix_digits=prefix
    )


ELEMENTS_1987: dict[int, ElementSpec] = {number: _from_pyiso8583(number, kind) for number, kind in KINDS_1987.items()}

#: (kind, length, prefix digits, description) where the common 1993 layout differs from 1987.
CHANGES_1993: dict[int, tuple[str, int, int, str]] = {
    12: ("n", 12, 0, "Date and Time, Local Transaction (YYMMDDhhmmss)"),
    22: ("an", 12, 0, "Point of Service Data Code"),
    24: ("n", 3, 0, "Function Code"),
    25: ("n", 4, 0, "Message Reason Code"),
    26: ("n", 4, 0, "Card Acceptor Business Code"),
    39: ("n", 3, 0, "Action Code"),
    43: ("ans", 99, 2, "Card Acceptor Name/Location"),
    56: ("n", 35, 2, "Original Data Elements"),
}
ELEMENTS_1993: dict[int, ElementSpec] = dict(ELEMENTS_1987)
for _number, (_kind, _length, _prefix, _description) in CHANGES_1993.items():
    ELEMENTS_1993[_number] = replace(
        ELEMENTS_1987[_number],
        kind=_kind,
        length=_length,
        variable=_prefix > 0,
        prefix_digits=_prefix,
        description=_description,
    )


def elements_for(mti: str) -> dict[int, ElementSpec]:
    """The element table of the MTI's edition: version digit 1 is ISO 8583:1993, anything else 1987."""
    return ELEMENTS_1993 if mti[:1] == "1" else ELEMENTS_1987

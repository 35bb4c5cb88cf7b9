"""Write the ISO 8583 interop corpus with pyiso8583's encoder (another producer than QENEX's builder).

Run ``python tests/payments/formats/interop/iso8583/make_corpus.py`` to write ``files/`` and ``labels.csv`` again;
the files are committed, so the test does not depend on this script. Each message is a dict of field values
encoded by ``iso8583.encode`` with pyiso8583's own ``default_ascii`` spec (ISO 8583:1987, ASCII, hex bitmaps);
an invalid file either breaks the layout (pyiso8583's decoder refuses it too) or breaks a rule of the standard that
an encoder does not check (the label names it).
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import iso8583
from iso8583.specs import default_ascii

HERE = Path(__file__).parent
PAN = "4761739001010010"  # a Visa test card (Luhn-valid)
TRACK2 = f"{PAN}=22122011143804400000"
ICC = "9F2608C2C12B098F3DA6E39F2701809F100706011203A4B0109F370411223344"


def base(mti: str) -> dict[str, str]:
    return {"t": mti, "7": "1202101530", "11": "004711", "41": "TERM0042", "49": "840"}


def auth(mti: str) -> dict[str, str]:
    return base(mti) | {
        "2": PAN,
        "3": "000000",
        "4": "000000002500",
        "12": "101530",
        "13": "1202",
        "14": "2712",
        "18": "5411",
        "22": "051",
        "25": "00",
        "32": "123456",
        "35": TRACK2,
        "37": "633610004711",
        "42": "MERCHANT0000042",
        "43": "QENEX TEST STORE         NEW YORK     US",
        "55": ICC,
    }


def response(mti: str, request: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in request.items() if k in ("3", "4", "7", "11", "12", "13", "37", "41", "49")}
    return keep | {"t": mti, "38": "A1B2C3", "39": "00"}


ORIGINAL = "0100004711120210153000000123456000000000000"[:42]

VALID: dict[str, dict[str, str]] = {
    "0100_auth_request_icc.bin": auth("0100"),
    "0110_auth_response.bin": response("0110", auth("0100")),
    "0120_auth_advice.bin": auth("0120") | {"39": "00", "38": "STAND1"},
    "0130_auth_advice_response.bin": response("0130", auth("0120")),
    "0200_financial_request_pin.bin": auth("0200") | {"52": "1A2B3C4D5E6F7081", "15": "1203"},
    "0210_financial_response.bin": response("0210", auth("0200")) | {"15": "1203"},
    "0220_financial_advice.bin": {k: v for k, v in auth("0220").items() if k != "35"},
    "0230_financial_advice_response.bin": response("0230", auth("0220")),
    "0400_reversal_request.bin": auth("0400") | {"90": ORIGINAL},
    "0401_reversal_repeat.bin": auth("0401") | {"90": ORIGINAL},
    "0410_reversal_response.bin": response("0410", auth("0400")) | {"90": ORIGINAL},
    "0420_reversal_advice.bin": auth("0420") | {"90": ORIGINAL, "95": "000000001500000000001500C00000000C00000000"},
    "0421_reversal_advice_repeat.bin": auth("0421") | {"90": ORIGINAL},
    "0430_reversal_advice_response.bin": response("0430", auth("0420")) | {"90": ORIGINAL},
    "0800_echo_test.bin": {"t": "0800", "7": "1202101530", "11": "000001", "70": "301"},
    "0800_sign_on.bin": {"t": "0800", "7": "1202101530", "11": "000002", "70": "001", "33": "123456"},
    "0810_echo_response.bin": {"t": "0810", "7": "1202101530", "11": "000001", "39": "00", "70": "301"},
    "0800_key_exchange_mac.bin": {
        "t": "0800",
        "7": "1202101530",
        "11": "000003",
        "70": "161",
        "48": "KEYBLOCK0123456789ABCDEF",
        "128": "0123456789ABCDEF",
    },
    "0200_with_private_use_fields.bin": auth("0200") | {"48": "ADDTL DATA 01", "60": "PRIVATE USE 60", "63": "X63"},
}


def _without(message: dict[str, str], *numbers: str) -> dict[str, str]:
    return {k: v for k, v in message.items() if k not in numbers}


# name -> (fields, why a reader must refuse it)
INVALID_BY_RULE: dict[str, tuple[dict[str, str], str]] = {
    "0100_luhn_fails.bin": (auth("0100") | {"2": "4761739001010011"}, "DE2 fails the Luhn check"),
    "0100_missing_stan.bin": (_without(auth("0100"), "11"), "DE11 is mandatory in an 0100"),
    "0200_response_code_in_request.bin": (auth("0200") | {"39": "00"}, "a request carries no DE39"),
    "0400_missing_original_data.bin": (auth("0400"), "DE90 is mandatory in a reversal"),
    "0100_track2_without_separator.bin": (auth("0100") | {"35": PAN + "2212201"}, "DE35 needs '=' or 'D'"),
    "0100_amount_not_numeric.bin": (auth("0100") | {"4": "00000000025A"}, "DE4 is n12"),
    "0100_bad_transmission_time.bin": (auth("0100") | {"7": "1332101530"}, "DE7 month 13"),
    "0100_unknown_currency.bin": (auth("0100") | {"49": "001"}, "DE49 is not an ISO 4217 number"),
    "0800_missing_network_code.bin": (_without(VALID["0800_echo_test.bin"], "70"), "DE70 is mandatory in an 0800"),
    "0500_unsupported_class.bin": ({"t": "0500", "7": "1202101530", "11": "000001", "70": "301"}, "MTI class 05"),
    "0420_bad_replacement_sign.bin": (
        auth("0420") | {"90": ORIGINAL, "95": "000000001500000000001500X00000000C00000000"},
        "DE95 ends in two x+n amounts",
    ),
}


def encode(fields: dict[str, str]) -> bytes:
    raw, _ = iso8583.encode(copy.deepcopy(fields), default_ascii)
    return bytes(raw)


def main() -> None:
    files = HERE / "files"
    files.mkdir(exist_ok=True)
    rows = []
    for name, fields in VALID.items():
        (files / name).write_bytes(encode(fields))
        rows.append({"file": name, "label": "valid", "why": "encoded by pyiso8583 from a well-formed message"})
    for name, (fields, why) in INVALID_BY_RULE.items():
        (files / name).write_bytes(encode(fields))
        rows.append({"file": name, "label": "invalid", "why": f"ISO 8583 rule: {why}"})
    good = encode(VALID["0100_auth_request_icc.bin"])
    layout = {
        "0100_truncated.bin": (good[:-7], "cut inside DE55; pyiso8583's decoder refuses it"),
        "0100_trailing_bytes.bin": (good + b"XYZ", "bytes after the last element; pyiso8583's decoder refuses it"),
        "0100_bad_llvar_prefix.bin": (
            good[:20] + b"1X" + good[22:],
            "DE2's LL prefix is not digits; pyiso8583's decoder refuses it",
        ),
    }
    for name, (raw, why) in layout.items():
        (files / name).write_bytes(raw)
        rows.append({"file": name, "label": "invalid", "why": why})
    with (HERE / "labels.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["file", "label", "why"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()

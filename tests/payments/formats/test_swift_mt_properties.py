"""Property-based round trips and fuzzing of the SWIFT MT builders and parsers.

Round trip: any valid domain object survives build -> serialise -> parse unchanged, including edge
amounts (0.01, 15-character amounts, JPY/KWD precision). Fuzz: arbitrary bytes, arbitrary text and
mutations of valid messages never make the parser raise anything but MessageValidationError, and
validate_raw never raises at all.
"""

from __future__ import annotations

import string
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.payments.formats.amounts import currency_exponent
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.swift_mt import (
    MT103,
    MT202COV,
    MT940,
    X_CHARACTERS,
    AccountIdentification,
    Balance,
    CurrencyAmount,
    Institution,
    Party,
    StatementLine,
    StatementNumber,
    SWIFTProtocol,
    UnderlyingCustomerCreditTransfer,
    make_envelope,
    new_uetr,
    parse,
    validate_raw,
)
from apps.payments.formats.swift_mt.fields import render_amount

GOLDEN = Path(__file__).parent / "golden" / "swift_mt"
VALID_FILES = [p for p in sorted(GOLDEN.glob("*.fin")) if "errors" not in p.name]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BICS = ["CHASUS33XXX", "DEUTDEFFXXX", "DEUTDEFF500", "COBADEFF", "BNPAFRPP", "NBOKKWKW", "MIDLGB22", "BOTKJPJT"]
CURRENCIES = ["USD", "EUR", "JPY", "KWD", "GBP", "BHD", "CHF"]
ALNUM = string.ascii_uppercase + string.digits

bics = st.sampled_from(BICS)
accounts = st.text(ALNUM, min_size=1, max_size=34)
dates = st.dates(min_value=date(1980, 1, 1), max_value=date(2079, 12, 31))


def x_line(width: int) -> st.SearchStrategy[str]:
    """A line of X characters that may legally start a continuation line (not ':', '-' or '/')."""
    rest = "".join(sorted(X_CHARACTERS))
    return st.builds(
        lambda head, tail: (head + tail)[:width], st.sampled_from(ALNUM), st.text(rest, max_size=width - 1)
    )


def x_lines(count: int, width: int = 35) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(x_line(width), min_size=1, max_size=count).map(tuple)


references = st.builds(
    lambda head, body: (head + body)[:16], st.sampled_from(ALNUM), st.text(ALNUM + "-.?", max_size=15)
)


@st.composite
def money(draw: st.DrawFn, currencies: list[str] = CURRENCIES) -> tuple[str, Decimal]:
    """A currency and an amount with at most its minor units, from 0.01 up to 15 characters written."""
    currency = draw(st.sampled_from(currencies))
    exponent = currency_exponent(currency) or 0
    largest = 10**14 - 1  # 14 digits in all, plus the comma: 15 characters
    minor = draw(st.one_of(st.just(1), st.just(largest), st.integers(min_value=1, max_value=largest)))
    return currency, Decimal(minor).scaleb(-exponent)


def customers(options: str) -> st.SearchStrategy[Party]:
    choices = []
    if "K" in options or " " in options:
        letter = "K" if "K" in options else ""
        choices.append(st.builds(Party, st.just(letter), st.none() | accounts, st.none(), x_lines(4)))
    if "A" in options:
        choices.append(st.builds(Party, st.just("A"), st.none() | accounts, bics))
    if "F" in options:
        numbered = st.lists(st.builds(lambda n, text: f"{n}/{text}", st.integers(2, 8), x_line(33)), max_size=3).map(
            tuple
        )
        choices.append(
            st.builds(
                lambda account, name, rest: Party("F", account=account, name_address=(f"1/{name}", *rest)),
                accounts,
                x_line(33),
                numbered,
            )
        )
    return st.one_of(choices)


def institutions(options: str) -> st.SearchStrategy[Institution | None]:
    choices: list[st.SearchStrategy[Institution | None]] = [st.none()]
    mark = st.none() | st.sampled_from(["C", "D"])
    if "A" in options:
        choices.append(
            st.builds(lambda a, m, b: Institution("A", a, m if a else None, b), st.none() | accounts, mark, bics)
        )
    if "D" in options:
        choices.append(
            st.builds(lambda a, lines: Institution("D", a, name_address=lines), st.none() | accounts, x_lines(4))
        )
    return st.one_of(choices)


@st.composite
def mt103s(draw: st.DrawFn) -> MT103:
    currency, amount = draw(money())
    charges = draw(st.sampled_from(["OUR", "SHA", "BEN"]))
    instructed = rate = receivers = None
    senders: tuple[CurrencyAmount, ...] = ()
    if charges == "BEN" or draw(st.booleans()):
        instructed = CurrencyAmount(*draw(money()))
        if instructed.currency != currency:
            rate = draw(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999"), places=4))
    if charges == "BEN":
        senders = (CurrencyAmount(*draw(money())),)
    elif charges == "OUR" and instructed is not None and draw(st.booleans()):
        receivers = CurrencyAmount(*draw(money()))
    intermediary = draw(institutions("AD"))
    account_with = draw(institutions("AD"))
    if intermediary is not None and account_with is None:
        account_with = Institution("A", bic="DEUTDEFF")
    return MT103(
        header=make_envelope("103", sender_bic=draw(bics), receiver_bic=draw(bics), uetr=new_uetr()),
        sender_reference=draw(references),
        value_date=draw(dates),
        currency=currency,
        amount=amount,
        ordering_customer=draw(customers("AFK")),
        beneficiary_customer=draw(customers(" AF")),
        details_of_charges=charges,
        instructed_amount=instructed,
        exchange_rate=rate,
        senders_charges=senders,
        receivers_charges=receivers,
        ordering_institution=draw(institutions("AD")),
        senders_correspondent=draw(institutions("AD")),
        intermediary_institution=intermediary,
        account_with_institution=account_with,
        remittance_information=draw(st.just(()) | x_lines(4)),
        sender_to_receiver_information=draw(st.just(()) | x_lines(6)),
    )


@FAST
@given(mt103s())
def test_mt103_round_trip(message: MT103) -> None:
    assert parse(message.to_bytes()) == message


@FAST
@given(money(["JPY", "KWD", "BHD", "USD"]))
def test_amount_precision_round_trip(money_value: tuple[str, Decimal]) -> None:
    currency, amount = money_value
    header = f"{{1:F01CHASUS33AXXX0000000000}}{{2:I103DEUTDEFFXXXXN}}{{3:{{121:{new_uetr()}}}}}"
    text = header + "{4:\r\n:20:R\r\n:23B:CRED\r\n"
    written = render_amount(amount, currency)
    assert len(written) <= 15
    assert len(written.split(",")[1]) <= (currency_exponent(currency) or 0)
    text += f":32A:240315{currency}{written}\r\n:50K:A\r\n:59:B\r\n:71A:SHA\r\n-}}"
    assert parse(text).amount == amount


@st.composite
def mt940s(draw: st.DrawFn) -> MT940:
    currency = draw(st.sampled_from(CURRENCIES))
    exponent = currency_exponent(currency) or 0
    small = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-exponent))
    opening = Balance(draw(st.sampled_from("CD")), draw(dates), currency, draw(small), draw(st.booleans()))
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        value_date = draw(dates)
        lines.append(
            StatementLine(
                value_date=value_date,
                entry_date=draw(st.none() | st.just(value_date)),
                mark=draw(st.sampled_from(["C", "D", "RC", "RD"])),
                funds_code=draw(st.none() | st.just(currency[2])),
                amount=draw(small),
                transaction_type=draw(st.sampled_from(["NTRF", "NCHK", "S103", "FCHG"])),
                customer_reference=draw(references),
                bank_reference=draw(st.none() | references),
                supplementary_details=draw(st.none() | x_line(34)),
                information=draw(st.just(()) | x_lines(6, 65)),
            )
        )
    total = opening.signed_amount + sum((line.signed_amount for line in lines), Decimal(0))
    closing = Balance("D" if total < 0 else "C", draw(dates), currency, abs(total), draw(st.booleans()))
    return MT940(
        header=make_envelope("940", sender_bic=draw(bics), receiver_bic=draw(bics), with_user_header=False),
        transaction_reference=draw(references),
        related_reference=draw(st.none() | references),
        account=draw(st.builds(AccountIdentification, accounts, st.none() | bics)),
        statement_number=StatementNumber(draw(st.integers(0, 99999)), draw(st.none() | st.integers(0, 99999))),
        opening_balance=opening,
        statement_lines=tuple(lines),
        closing_balance=closing,
        closing_available_balance=draw(
            st.none() | st.just(Balance(closing.mark, closing.date, currency, closing.amount))
        ),
        information_to_account_owner=draw(st.just(()) | x_lines(6, 65)),
    )


@FAST
@given(mt940s())
def test_mt940_round_trip(message: MT940) -> None:
    assert parse(message.to_bytes()) == message


@st.composite
def mt202covs(draw: st.DrawFn) -> MT202COV:
    currency, amount = draw(money())
    return MT202COV(
        header=make_envelope(
            "202", sender_bic=draw(bics), receiver_bic=draw(bics), uetr=new_uetr(), validation_flag="COV"
        ),
        transaction_reference=draw(references),
        related_reference=draw(references),
        value_date=draw(dates),
        currency=currency,
        amount=amount,
        beneficiary_institution=draw(institutions("AD").filter(lambda i: i is not None)),
        ordering_institution=draw(institutions("AD")),
        underlying=UnderlyingCustomerCreditTransfer(
            ordering_customer=draw(customers("AFK")),
            beneficiary_customer=draw(customers(" AF")),
            ordering_institution=draw(institutions("AD")),
            remittance_information=draw(st.just(()) | x_lines(4)),
            instructed_amount=draw(st.none() | st.builds(lambda m: CurrencyAmount(*m), money())),
        ),
    )


@FAST
@given(mt202covs())
def test_mt202cov_round_trip(message: MT202COV) -> None:
    assert parse(message.to_bytes()) == message


SEED = {
    "sender_bic": "CHASUS33XXX",
    "receiver_bic": "DEUTDEFFXXX",
    "sender_account": "123456789",
    "receiver_account": "987654321",
    "amount": Decimal("10.00"),
    "currency": "USD",
    "reference": "R1",
}


@FAST
@given(st.text(min_size=1, max_size=60))
def test_any_name_is_transliterated_or_refused_never_garbled(name: str) -> None:
    try:
        message = SWIFTProtocol().create_mt103(**SEED, sender_name=name, transliterate=True)
    except MessageValidationError as exc:
        assert exc.errors
        return
    assert all(char in X_CHARACTERS for line in message.ordering_customer.name_address for char in line)
    assert parse(message.to_fin()) == message


@FAST
@given(st.text(min_size=1, max_size=30).filter(lambda s: any(c not in X_CHARACTERS and c != "\n" for c in s)))
def test_non_x_name_without_transliteration_is_refused(name: str) -> None:
    try:
        SWIFTProtocol().create_mt103(**SEED, sender_name=name)
    except MessageValidationError as exc:
        assert any(e.field == ":50K:" and "not in the SWIFT X character set" in e.reason for e in exc.errors)
    else:
        raise AssertionError(f"accepted non-X name {name!r}")


# --------------------------------------------------------------------------- fuzzing


def check_never_crashes(raw: bytes | str) -> None:
    try:
        message = parse(raw)
    except MessageValidationError as exc:
        assert exc.errors
    else:
        # Whatever we accept we can also write, and it reads back identical.
        assert parse(message.to_fin()) == message
    as_bytes = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    for candidate in (raw, as_bytes):
        message_type, errors = validate_raw(candidate)  # type: ignore[arg-type]
        assert isinstance(message_type, str)
        assert isinstance(errors, list)


@FAST
@given(st.binary(max_size=600))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    check_never_crashes(raw)


@FAST
@given(st.text(alphabet=st.sampled_from(list("{}:1245-\r\nABCIO0123456789/,F ")) | st.characters(), max_size=400))
def test_fuzz_arbitrary_text(raw: str) -> None:
    check_never_crashes("{1:" + raw if raw[:1] == "F" else raw)


MUTATION_ALPHABET = "{}:-/,.\r\n 0123456789ACDEFKNOPRSUXZ?é"


@st.composite
def mutated_messages(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID_FILES)).read_bytes().decode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        position = draw(st.integers(0, len(text) - 1))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "duplicate_line", "drop_line", "swap_lines"]))
        if kind == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 10)) :]
        elif kind == "insert":
            text = text[:position] + draw(st.text(MUTATION_ALPHABET, min_size=1, max_size=6)) + text[position:]
        elif kind == "replace":
            text = text[:position] + draw(st.sampled_from(MUTATION_ALPHABET)) + text[position + 1 :]
        else:
            lines = text.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate_line":
                lines.insert(index, lines[index])
            elif kind == "drop_line":
                del lines[index]
            else:
                other = draw(st.integers(0, len(lines) - 1))
                lines[index], lines[other] = lines[other], lines[index]
            text = "\n".join(lines)
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_messages())
def test_fuzz_mutations_of_valid_messages(raw: str) -> None:
    check_never_crashes(raw)
    check_never_crashes(raw.encode("utf-8"))

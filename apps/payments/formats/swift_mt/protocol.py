"""``SWIFTProtocol``: the seed's convenience API for creating and reading SWIFT MT messages.

It turns plain keyword arguments (BICs, accounts, a Decimal amount, free-text names) into a
validated domain object; the object's ``str()`` is the FIN text. Free text is wrapped into 35-character
lines and, with ``transliterate=True``, rewritten into the SWIFT X character set first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from ..amounts import check_amount
from ..errors import MessageValidationError
from .blocks import make_envelope, new_uetr
from .charset import describe_character, find_non_x_characters, transliterate_to_x, wrap_x_lines
from .fields import Institution, Party, Problems, check_bic
from .messages import MT103, MT202, FinMessage, build_message, parse_message

# Used when the caller gives no name: FIN needs a name line, and inventing one would be worse.
# "NOTPROVIDED" is the convention CBPR+ uses for data the originator did not supply.
NAME_NOT_PROVIDED = "NOTPROVIDED"


def _text_lines(text: str, label: str, problems: Problems, *, transliterate: bool) -> tuple[str, ...]:
    """Wrap free text into 35-character lines; without ``transliterate`` any non-X character is an error."""
    if not isinstance(text, str):
        problems.add(label, f"expected text, got {type(text).__name__}")
        return ()
    if transliterate:
        lines = wrap_x_lines(transliterate_to_x(text))
        return tuple(cleaned for cleaned in (transliterate_to_x(line) for line in lines) if cleaned)
    for line in text.replace("\r\n", "\n").split("\n"):
        for column, char in find_non_x_characters(line):
            problems.add(
                label, f"character {describe_character(char)} at column {column} is not in the SWIFT X character set"
            )
    return wrap_x_lines(text)


def _transfer_problems(
    message_type: str, sender_bic: str, receiver_bic: str, amount: Decimal, currency: str
) -> Problems:
    """Return the problems of the sender and receiver BICs and the :32A: amount every transfer checks first."""
    problems = Problems(message_type)
    check_bic(sender_bic, "sender_bic", problems)
    check_bic(receiver_bic, "receiver_bic", problems)
    try:
        check_amount(amount, currency, message_type=message_type, field=":32A:")
    except MessageValidationError as exc:
        problems.errors.extend(exc.errors)
    return problems


def _today() -> date:
    return datetime.now(tz=UTC).date()


class SWIFTProtocol:
    """Create, render and read SWIFT FIN MT messages."""

    def create_mt103(
        self,
        *,
        sender_bic: str,
        receiver_bic: str,
        sender_account: str,
        receiver_account: str,
        amount: Decimal,
        currency: str,
        reference: str,
        remittance_info: str | None = None,
        sender_name: str | None = None,
        receiver_name: str | None = None,
        sender_address: tuple[str, ...] = (),
        receiver_address: tuple[str, ...] = (),
        value_date: date | None = None,
        charges: str = "SHA",
        uetr: str | None = None,
        stp: bool = False,
        transliterate: bool = False,
    ) -> MT103:
        """Return a validated MT103 from ``sender_bic``'s customer to ``receiver_bic``'s customer.

        Defaults: value date today (UTC), charges SHA, a new UETR. ``stp=True`` marks it MT103 STP.
        Names and remittance text are wrapped into 35-character lines; with ``transliterate=True``
        non-X characters are transliterated (``Müller`` -> ``Muller``), otherwise they are an error.
        A float amount is refused. Raises MessageValidationError listing every problem.
        """
        problems = _transfer_problems("MT103", sender_bic, receiver_bic, amount, currency)
        t = transliterate
        ordering_lines = _text_lines(sender_name or NAME_NOT_PROVIDED, ":50K:", problems, transliterate=t)
        beneficiary_lines = _text_lines(receiver_name or NAME_NOT_PROVIDED, ":59:", problems, transliterate=t)
        for line in sender_address:
            ordering_lines += _text_lines(line, ":50K:", problems, transliterate=t)
        for line in receiver_address:
            beneficiary_lines += _text_lines(line, ":59:", problems, transliterate=t)
        remittance = _text_lines(remittance_info, ":70:", problems, transliterate=t) if remittance_info else ()
        problems.raise_if_any()
        message = MT103(
            header=make_envelope(
                "103",
                sender_bic=sender_bic,
                receiver_bic=receiver_bic,
                uetr=uetr if uetr is not None else new_uetr(),
                validation_flag="STP" if stp else None,
            ),
            sender_reference=reference,
            bank_operation_code="CRED",
            value_date=value_date if value_date is not None else _today(),
            currency=currency,
            amount=amount,
            ordering_customer=Party("K", account=sender_account, name_address=ordering_lines),
            beneficiary_customer=Party("", account=receiver_account, name_address=beneficiary_lines),
            remittance_information=remittance,
            details_of_charges=charges,
        )
        build_message(message)
        return message

    def create_mt202(
        self,
        *,
        sender_bic: str,
        receiver_bic: str,
        beneficiary_institution_bic: str,
        amount: Decimal,
        currency: str,
        reference: str,
        related_reference: str = "NONREF",
        value_date: date | None = None,
        uetr: str | None = None,
    ) -> MT202:
        """Return a validated MT202 moving bank funds to ``beneficiary_institution_bic``."""
        problems = _transfer_problems("MT202", sender_bic, receiver_bic, amount, currency)
        problems.raise_if_any()
        message = MT202(
            header=make_envelope(
                "202", sender_bic=sender_bic, receiver_bic=receiver_bic, uetr=uetr if uetr is not None else new_uetr()
            ),
            transaction_reference=reference,
            related_reference=related_reference,
            value_date=value_date if value_date is not None else _today(),
            currency=currency,
            amount=amount,
            beneficiary_institution=Institution("A", bic=beneficiary_institution_bic),
        )
        build_message(message)
        return message

    def render(self, message: FinMessage) -> str:
        """Return the FIN text of a message (same as ``str(message)``)."""
        return build_message(message)

    def parse(self, raw: bytes | str) -> FinMessage:
        """Read any supported MT message; raise MessageValidationError with every problem."""
        return parse_message(raw)

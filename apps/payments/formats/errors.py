"""Errors raised by the payment-message builders and parsers.

Every parser and validator in ``apps.payments.formats`` raises only
:class:`MessageValidationError` for bad input, never a bare ``ValueError``,
``KeyError`` or ``IndexError``: an operator feeding a partner's file must get
a list of precise problems, not a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The file cannot be used: structure, record layout, totals, check digits, XSD.
ERROR = "error"
#: A network's business rule (NACHA SEC rules, FAIM business function rules, SWIFT network validated rules, EPC
#: SEPA rules): the file can be read and means one thing, but the network would refuse it. ``validate_message``
#: reports it as a warning, ``--strict`` counts it as an error.
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class FieldError:
    """One problem found in a message.

    ``field`` names the tag or element (``:32A:``, ``GrpHdr/MsgId``, ``entry_detail.amount``,
    ``DE4``); ``line`` is the 1-based line in the raw message where it is known. ``severity`` is
    :data:`ERROR` (the default) or :data:`WARNING` (a network rule, see above).
    """

    field: str
    reason: str
    line: int | None = None
    severity: str = ERROR

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.reason}"


def network_rule(field: str, reason: str, line: int | None = None) -> FieldError:
    """A :data:`WARNING`: the break of a network rule rather than of the format's structure."""
    return FieldError(field=field, reason=reason, line=line, severity=WARNING)


class MessageValidationError(Exception):
    """A message (or the data to build one) breaks the rules of its format.

    Carries every problem found, so a validator can report them all at once.
    """

    def __init__(self, message_type: str, errors: list[FieldError] | FieldError):
        if isinstance(errors, FieldError):
            errors = [errors]
        if not errors:
            raise ValueError("MessageValidationError needs at least one FieldError")
        self.message_type = message_type
        self.errors: list[FieldError] = list(errors)
        super().__init__(self._summary())

    def _summary(self) -> str:
        first = self.errors[0]
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{self.message_type}: {first}{more}"

    @classmethod
    def single(cls, message_type: str, field: str, reason: str, line: int | None = None) -> MessageValidationError:
        return cls(message_type, [FieldError(field=field, reason=reason, line=line)])

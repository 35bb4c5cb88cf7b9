"""Payment message formats: build, parse and validate, with no database.

Modules: ``swift_mt`` (SWIFT FIN MT), ``iso20022`` (ISO 20022 XML and SEPA rules),
``nacha`` (ACH files), ``fedwire`` (Fedwire Funds FAIM), ``iso8583`` (card authorisation);
``detect`` (which format is this file, and validate it) and ``mapping`` (MT103 <-> pacs.008).
Bad input raises :class:`~apps.payments.formats.errors.MessageValidationError` only.
"""

from .errors import FieldError, MessageValidationError

__all__ = ["FieldError", "MessageValidationError"]

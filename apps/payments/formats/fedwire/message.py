"""Fedwire Funds Service messages in the FAIM tag format: domain objects, builder and reader.

A message is a run of tags ``{NNNN}`` each followed by its elements. Fixed-length elements are
written as they are; each variable-length element ends with the delimiter ``*`` (or is padded, below). Each
tag appears at most once. Amounts are integer cents in 12 digits.

Layouts: the "*"-delimited one (each variable-length element ends with ``*``) and the fixed-width one (each
element padded with spaces to its maximum length, no delimiter); a tag's content without any ``*`` is read as
fixed-width. Tag order: ascending, or the mandatory tags first and then the optional ones ascending
(:func:`tag_order_problems`).

Rules enforced (FAIM 3.0.x): the seven tags every message needs ({1500} {1510} {1520} {2000}
{3100} {3400} {3600}); the type/subtype combinations each business function code allows; the
tags a business function needs (CTR: {4200} and {5000} or {5100}; CTP: {4200} and {5000} or {5010}; DRW: {4200} {5000};
DRB: {4400} {5400}; DRC: {4200} {4400} {5400}; reversals (subtype 02/08): {3500}); drawdown-only
tags ({4400} {5400}) outside drawdowns; maximum element lengths; ABA check digits.

Text: non-ASCII is transliterated with ``anyascii`` when building; text that still is not
printable ASCII, contains ``*``, ``{`` or ``}``, or exceeds its maximum length is rejected.
The reader keeps elements exactly as written (no trimming). Tags this library does not model
but that are well formed ({3610}, {3700}, {8200}, ...) are carried verbatim in ``other_tags``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from anyascii import anyascii

from ..errors import FieldError, MessageValidationError, network_rule
from ..nacha.routing import aba_problem

MAX_AMOUNT_CENTS = 999_999_999_999  # 12 digits

TYPE_CODES = frozenset({"10", "15", "16"})
SUBTYPE_CODES = frozenset({"00", "01", "02", "07", "08", "31", "32", "33", "90"})

_TRANSFERS = {f"{t}{s}" for t in ("10", "15", "16") for s in ("00", "02", "08")}
_SETTLEMENT = {"1600", "1602", "1608"}
#: Business function code -> the type+subtype combinations it allows.
BUSINESS_FUNCTIONS: dict[str, frozenset[str]] = {
    "BTR": frozenset(_TRANSFERS),
    "CTR": frozenset(_TRANSFERS),
    "CTP": frozenset(_TRANSFERS),  # customer transfer plus: remittance ({8200}-{8750}) and cover (COV) data
    "CKS": frozenset(_SETTLEMENT),
    "DEP": frozenset(_SETTLEMENT),
    "FFR": frozenset(_SETTLEMENT),
    "FFS": frozenset(_SETTLEMENT),
    "DRW": frozenset({"1032", "1632"}),
    "DRB": frozenset({"1631", "1633"}),
    "DRC": frozenset({"1031", "1033"}),
    "SVC": frozenset({"1001", "1007", "1033", "1090", "1501", "1507", "1590", "1601", "1607", "1633", "1690"}),
}
#: Tags a business function code needs beyond the seven every message has.
REQUIRED_TAGS: dict[str, tuple[str, ...]] = {
    "CTR": ("{4200}",),
    "CTP": ("{4200}",),
    "DRW": ("{4200}", "{5000}"),
    "DRB": ("{4400}", "{5400}"),
    "DRC": ("{4200}", "{4400}", "{5400}"),
}
DRAWDOWN_ONLY_TAGS = ("{4400}", "{5400}")
#: Fixed-width layout of a party tag after its ID code: identifier, name, three address lines.
PARTY_WIDTHS = (34, 35, 35, 35, 35)
#: The two layouts a message's variable-length elements can be written in.
LAYOUTS = ("delimited", "fixed")
FI_ID_CODES = frozenset({"B", "C", "D", "F", "U"})
PARTY_ID_CODES = frozenset({"B", "C", "D", "F", "U", "1", "2", "3", "4", "5", "9"})


@dataclass(frozen=True)
class Imad:
    """Input Message Accountability Data: cycle date, input source (8) and sequence number (6)."""

    cycle_date: date
    source: str
    sequence: str

    def __str__(self) -> str:
        return f"{self.cycle_date:%Y%m%d}{self.source}{self.sequence}"


@dataclass(frozen=True)
class FedwireParty:
    """A party or institution tag: ID code, identifier, name and up to three address lines."""

    id_code: str
    identifier: str
    name: str = ""
    address: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", _trim_lines(self.address))


def _trim_lines(lines: Any) -> tuple[str, ...]:
    lines = list(lines or ())
    while lines and lines[-1] == "":
        lines.pop()
    return tuple(lines)


_LINE_FIELDS = (
    "originator_to_beneficiary",
    "receiver_fi_information",
    "intermediary_fi_information",
    "beneficiary_fi_information",
    "beneficiary_information",
    "additional_fi_to_fi",
)


@dataclass(frozen=True)
class FedwireMessage:
    """One Fedwire Funds transfer message. ``amount`` is in cents."""

    type_code: str
    subtype_code: str
    imad: Imad
    amount: int
    sender_aba: str
    receiver_aba: str
    business_function_code: str
    sender_short_name: str = ""
    receiver_short_name: str = ""
    transaction_type_code: str = ""
    format_version: str = "30"
    user_request_correlation: str = ""
    test_production_code: str = "P"
    message_duplication_code: str = ""
    sender_reference: str = ""
    previous_imad: str = ""
    intermediary_fi: FedwireParty | None = None
    beneficiary_fi: FedwireParty | None = None
    beneficiary: FedwireParty | None = None
    beneficiary_reference: str = ""
    account_debited_drawdown: FedwireParty | None = None
    originator: FedwireParty | None = None
    originator_fi: FedwireParty | None = None
    instructing_fi: FedwireParty | None = None
    account_credited_drawdown: str = ""
    originator_to_beneficiary: tuple[str, ...] = ()
    receiver_fi_information: tuple[str, ...] = ()
    intermediary_fi_information: tuple[str, ...] = ()
    beneficiary_fi_information: tuple[str, ...] = ()
    beneficiary_information: tuple[str, ...] = ()
    additional_fi_to_fi: tuple[str, ...] = ()
    other_tags: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        for name in _LINE_FIELDS:
            object.__setattr__(self, name, _trim_lines(getattr(self, name)))
        object.__setattr__(self, "other_tags", tuple(tuple(t) for t in self.other_tags))

    @property
    def message_type(self) -> str:
        return f"Fedwire {self.business_function_code}"


# tag -> (attribute, kind, parameters)
TAG_SPECS: dict[str, tuple[str, str, tuple]] = {
    "{1500}": ("", "sender_supplied", ()),
    "{1510}": ("", "type_subtype", ()),
    "{1520}": ("imad", "imad", ()),
    "{2000}": ("amount", "amount", ()),
    "{3100}": ("sender", "depository", ("sender_aba", "sender_short_name")),
    "{3320}": ("sender_reference", "text", (16,)),
    "{3400}": ("receiver", "depository", ("receiver_aba", "receiver_short_name")),
    "{3500}": ("previous_imad", "previous_imad", ()),
    "{3600}": ("", "business_function", ()),
    "{4000}": ("intermediary_fi", "party", (FI_ID_CODES,)),
    "{4100}": ("beneficiary_fi", "party", (FI_ID_CODES,)),
    "{4200}": ("beneficiary", "party", (PARTY_ID_CODES,)),
    "{4320}": ("beneficiary_reference", "text", (16,)),
    "{4400}": ("account_debited_drawdown", "party", (frozenset({"D"}),)),
    "{5000}": ("originator", "party", (PARTY_ID_CODES,)),
    "{5100}": ("originator_fi", "party", (FI_ID_CODES,)),
    "{5200}": ("instructing_fi", "party", (FI_ID_CODES,)),
    "{5400}": ("account_credited_drawdown", "aba", ()),
    "{6000}": ("originator_to_beneficiary", "lines", (4, 35, 35)),
    "{6100}": ("receiver_fi_information", "lines", (6, 30, 33)),
    "{6200}": ("intermediary_fi_information", "lines", (6, 30, 33)),
    "{6300}": ("beneficiary_fi_information", "lines", (6, 30, 33)),
    "{6400}": ("beneficiary_information", "lines", (6, 30, 33)),
    "{6500}": ("additional_fi_to_fi", "lines", (6, 35, 35)),
}
MANDATORY_TAGS = ("{1500}", "{1510}", "{1520}", "{2000}", "{3100}", "{3400}", "{3600}")
#: The three tags that open every message, in this order.
OPENING_TAGS = MANDATORY_TAGS[:3]
_TAG_RE = re.compile(r"\{(\d{4})\}")


# --------------------------------------------------------------------------- rendering


def _text(value: Any, max_length: int, where: str, problems: list[FieldError]) -> str:
    if not isinstance(value, str):
        problems.append(FieldError(where, f"must be text, not {type(value).__name__}"))
        return ""
    text = anyascii(value)
    if not all(" " <= ch <= "~" for ch in text):
        problems.append(FieldError(where, f"contains characters that cannot be written as ASCII: {value!r}"))
    elif any(ch in text for ch in "*{}"):
        problems.append(FieldError(where, "must not contain '*', '{' or '}' (FAIM delimiters)"))
    elif len(text) > max_length:
        problems.append(FieldError(where, f"is {len(text)} characters, at most {max_length} allowed"))
    return text


def _render_party(
    tag: str, party: Any, id_codes: frozenset[str], problems: list[FieldError], layout: str = "delimited"
) -> str:
    if not isinstance(party, FedwireParty):
        problems.append(FieldError(tag, f"must be a FedwireParty, not {type(party).__name__}"))
        return ""
    elements = [
        _text(party.identifier, 34, f"{tag}.identifier", problems),
        _text(party.name, 35, f"{tag}.name", problems),
    ]
    if len(party.address) > 3:
        problems.append(FieldError(f"{tag}.address", f"at most 3 address lines, got {len(party.address)}"))
    elements += [_text(line, 35, f"{tag}.address", problems) for line in party.address]
    while elements and elements[-1] == "":
        elements.pop()
    if layout == "fixed":
        return party.id_code + "".join(e.ljust(w) for e, w in zip(elements, PARTY_WIDTHS, strict=False)).rstrip(" ")
    return party.id_code + "".join(element + "*" for element in elements)


def _render_lines(
    tag: str,
    lines: tuple[str, ...],
    limits: tuple[int, int, int],
    problems: list[FieldError],
    layout: str = "delimited",
) -> str:
    max_lines, first_length, other_length = limits
    if len(lines) > max_lines:
        problems.append(FieldError(tag, f"at most {max_lines} lines, got {len(lines)}"))
    rendered = [
        _text(line, first_length if i == 0 else other_length, f"{tag}.line{i + 1}", problems)
        for i, line in enumerate(lines)
    ]
    if layout == "fixed":
        widths = [first_length] + [other_length] * (len(rendered) - 1)
        return "".join(line.ljust(width) for line, width in zip(rendered, widths, strict=True)).rstrip(" ")
    return "".join(line + "*" for line in rendered)


def render_fedwire_tags(
    message: FedwireMessage, *, layout: str = "delimited"
) -> tuple[list[tuple[str, str]], list[FieldError]]:
    """Return the (tag, content) pairs of ``message`` in tag order, and any rendering problem.

    ``layout="delimited"`` ends each variable-length element with ``*``; ``"fixed"`` pads each element to its
    maximum length instead (the fixed-width layout), dropping only the trailing padding of a tag.
    """
    problems: list[FieldError] = []
    fixed = layout == "fixed"

    def ended(text: str, width: int) -> str:
        return text.ljust(width) if fixed else text + "*"

    tags: list[tuple[str, str]] = []
    m = message
    correlation = _text(m.user_request_correlation, 8, "{1500}.user_request_correlation", problems)
    tags.append(
        ("{1500}", f"{m.format_version}{correlation:<8}{m.test_production_code}{m.message_duplication_code or ' '}")
    )
    tags.append(("{1510}", f"{m.type_code}{m.subtype_code}"))
    if isinstance(m.imad, Imad) and isinstance(m.imad.cycle_date, date):
        tags.append(("{1520}", str(m.imad)))
    else:
        problems.append(FieldError("{1520}", "imad must be an Imad with a cycle date"))
    if isinstance(m.amount, bool) or not isinstance(m.amount, int) or not 0 <= m.amount <= MAX_AMOUNT_CENTS:
        problems.append(FieldError("{2000}", f"amount must be integer cents in 12 digits, got {m.amount!r}"))
    else:
        tags.append(("{2000}", f"{m.amount:012d}"))
    sender_name = _text(m.sender_short_name, 18, "{3100}.short_name", problems)
    tags.append(("{3100}", str(m.sender_aba) + (ended(sender_name, 18) if sender_name else "")))
    if m.sender_reference:
        tags.append(("{3320}", ended(_text(m.sender_reference, 16, "{3320}", problems), 16)))
    receiver_name = _text(m.receiver_short_name, 18, "{3400}.short_name", problems)
    tags.append(("{3400}", str(m.receiver_aba) + (ended(receiver_name, 18) if receiver_name else "")))
    if m.previous_imad:
        tags.append(("{3500}", str(m.previous_imad)))
    tags.append(("{3600}", f"{m.business_function_code}{m.transaction_type_code}"))
    for tag, (attribute, kind, parameters) in TAG_SPECS.items():
        value = getattr(m, attribute, None) if attribute else None
        if kind == "party" and value is not None:
            tags.append((tag, _render_party(tag, value, parameters[0], problems, layout)))
        elif kind == "lines" and value:
            tags.append((tag, _render_lines(tag, value, parameters, problems, layout)))
        elif tag == "{4320}" and value:
            tags.append((tag, ended(_text(value, 16, tag, problems), 16)))
        elif tag == "{5400}" and value:
            tags.append((tag, str(value)))
    for tag, content in m.other_tags:
        if tag in TAG_SPECS or not _TAG_RE.fullmatch(str(tag)):
            problems.append(
                FieldError(str(tag), "other_tags may only carry well-formed tags this library does not model")
            )
        elif "{" in content or "}" in content:
            problems.append(FieldError(tag, "content must not contain '{' or '}'"))
        else:
            tags.append((tag, content))
    tags.sort(key=lambda pair: pair[0])
    return tags, problems


def build_fedwire_message(message: FedwireMessage, *, separator: str = "\n", layout: str = "delimited") -> bytes:
    """Render ``message`` as FAIM tag text, one tag per line by default (``separator=""`` for none).

    ``layout`` is ``"delimited"`` (elements end with ``*``) or ``"fixed"`` (elements padded to their length).

    The output is read back through the reader so every FAIM rule is enforced; problems raise
    MessageValidationError.
    """
    if separator not in ("\n", "\r\n", ""):
        raise MessageValidationError.single("Fedwire message", "separator", "must be '\\n', '\\r\\n' or ''")
    if layout not in LAYOUTS:
        raise MessageValidationError.single("Fedwire message", "layout", "must be 'delimited' or 'fixed'")
    tags, problems = render_fedwire_tags(message, layout=layout)
    if problems:
        raise MessageValidationError(_message_type(message.business_function_code), problems)
    text = separator.join(tag + content for tag, content in tags) + separator
    _, problems, message_type = read_fedwire_message(text)
    if problems:
        raise MessageValidationError(message_type, problems)
    return text.encode("ascii")


def _message_type(code: Any) -> str:
    return f"Fedwire {code}" if isinstance(code, str) and code in BUSINESS_FUNCTIONS else "Fedwire message"


# --------------------------------------------------------------------------- reading


def _split_elements(content: str) -> list[str]:
    elements = content.split("*")
    if elements and elements[-1] == "":
        elements.pop()
    return elements


def _check_text(where: str, value: str, max_length: int, line: int, errors: list[FieldError]) -> None:
    if len(value) > max_length:
        errors.append(FieldError(where, f"is {len(value)} characters, at most {max_length} allowed", line))


def _fixed_slots(text: str, widths: tuple[int, ...]) -> list[str]:
    """Cut a fixed-width tag's content into its elements (right padding removed); trailing empty ones dropped."""
    elements, start = [], 0
    for width in widths:
        elements.append(text[start : start + width].rstrip(" "))
        start += width
    if text[start:].strip():
        elements.append(text[start:])  # more than the layout holds: reported by the caller as one element too many
    while elements and elements[-1] == "":
        elements.pop()
    return elements


def _read_party(tag: str, content: str, id_codes: frozenset[str], line: int, errors: list[FieldError]) -> FedwireParty:
    id_code = content[:1]
    if "*" in content:
        elements = _split_elements(content[1:])
    else:  # fixed-width layout: identifier 34, name 35, three address lines of 35, each padded with spaces
        elements = _fixed_slots(content[1:], PARTY_WIDTHS)
    if id_code not in id_codes:
        errors.append(
            FieldError(f"{tag}.id_code", f"must be one of {', '.join(sorted(id_codes))}, got {id_code!r}", line)
        )
    if len(elements) > 5:
        errors.append(
            FieldError(tag, f"has {len(elements)} elements, at most 5 (identifier, name, 3 address lines)", line)
        )
    elements += [""] * (2 - len(elements)) if len(elements) < 2 else []
    identifier, name, address = elements[0], elements[1], tuple(elements[2:5])
    if not identifier:
        errors.append(FieldError(f"{tag}.identifier", "is required", line))
    _check_text(f"{tag}.identifier", identifier, 34, line, errors)
    _check_text(f"{tag}.name", name, 35, line, errors)
    for address_line in address:
        _check_text(f"{tag}.address", address_line, 35, line, errors)
    if id_code == "F" and identifier:
        problem = aba_problem(identifier)
        if problem:
            errors.append(FieldError(f"{tag}.identifier", problem, line))
    if tag in ("{4200}", "{5000}", "{4400}") and not name:
        errors.append(FieldError(f"{tag}.name", "is required", line))
    return FedwireParty(id_code=id_code, identifier=identifier, name=name, address=address)


def _read_lines(tag: str, content: str, limits: tuple[int, int, int], line: int, errors: list[FieldError]) -> tuple:
    max_lines, first_length, other_length = limits
    if "*" in content:
        lines = _trim_lines(_split_elements(content))
    else:  # fixed-width layout: the first line padded to its length, the others to theirs
        lines = _trim_lines(_fixed_slots(content, (first_length,) + (other_length,) * (max_lines - 1)))
    if not lines:
        errors.append(FieldError(tag, "is present but empty", line))
    if len(lines) > max_lines:
        errors.append(FieldError(tag, f"has {len(lines)} lines, at most {max_lines}", line))
    for i, text in enumerate(lines[:max_lines]):
        _check_text(f"{tag}.line{i + 1}", text, first_length if i == 0 else other_length, line, errors)
    return lines


def tag_order_problems(order: list[tuple[str, int]]) -> list[FieldError]:
    """The tag order rules: what a message's tags, in the order written, break (``[]`` when none).

    FAIM lets a message be written in either of two orders, and both are what other software writes:

    - every tag in ascending tag number (the order of the FAIM format tables; QENEX's builder, moov-io/wire);
    - the mandatory tags first, in their own order ({1500} {1510} {1520} {2000} {3100} {3400} {3600}), then the
      optional tags in ascending order (front ends that fill the mandatory block and then append the rest).

    Either way {1500} {1510} {1520} open the message, the mandatory tags keep their relative order and the optional
    tags ascend among themselves. Any other order is refused: the tag that breaks it is named, with its line.
    """
    tags = [tag for tag, _ in order]
    lines = dict(order)
    if tags == sorted(tags):
        return []
    mandatory = [tag for tag in tags if tag in MANDATORY_TAGS]
    optional = [tag for tag in tags if tag not in MANDATORY_TAGS]
    mandatory_first = tags[: len(mandatory)] == mandatory and mandatory == sorted(mandatory)
    if mandatory_first and optional == sorted(optional):
        return []
    problems: list[FieldError] = []
    opening = [tag for tag in tags if tag in OPENING_TAGS]
    if tags[: len(opening)] != sorted(opening):
        head = tags[: len(opening)]
        inverted = [tag for previous, tag in zip(head, head[1:], strict=False) if tag < previous]
        wrong = inverted[0] if inverted else next(tag for tag in opening if tag not in head)
        problems.append(
            FieldError(wrong, f"is out of order: {', '.join(OPENING_TAGS)} open a message, in that order", lines[wrong])
        )
        return problems
    for sequence, what in ((mandatory, "mandatory tags"), (optional, "optional tags")):
        for previous, tag in zip(sequence, sequence[1:], strict=False):
            if tag < previous:
                problems.append(
                    FieldError(tag, f"is out of order: {what} must ascend, it follows {previous}", lines[tag])
                )
    if not problems:
        # both runs ascend, but they are interleaved in neither allowed way: name the first tag out of place
        for previous, tag in zip(tags, tags[1:], strict=False):
            if tag < previous:
                problems.append(
                    FieldError(
                        tag,
                        f"is out of order: it follows {previous}; write the tags ascending, or the mandatory tags "
                        "first and then the optional tags ascending",
                        lines[tag],
                    )
                )
                break
    return problems


def read_fedwire_message(raw: bytes | str) -> tuple[FedwireMessage | None, list[FieldError], str]:
    """Read FAIM tag text; return (message or None, every problem found, message type). Never raises."""
    errors: list[FieldError] = []
    text = raw.decode("latin-1") if isinstance(raw, bytes | bytearray) else str(raw)
    matches = list(_TAG_RE.finditer(text))
    if not matches:
        errors.append(FieldError("message", "no FAIM tags ({NNNN}) found"))
        return None, errors, "Fedwire message"
    leading = text[: matches[0].start()]
    if leading.strip():
        errors.append(FieldError("message", f"text before the first tag: {leading.strip()[:20]!r}", 1))

    contents: dict[str, tuple[str, int]] = {}
    for i, match in enumerate(matches):
        tag = match.group(0)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        content = text[match.end() : end].rstrip("\r\n")
        line = text.count("\n", 0, match.start()) + 1
        if "\n" in content or "\r" in content:
            errors.append(FieldError(tag, "line break inside the tag's content", line))
            content = content.replace("\r", "").replace("\n", "")
        bad = next((ch for ch in content if not " " <= ch <= "~"), None)
        if bad is not None:
            errors.append(FieldError(tag, f"contains a non-ASCII or control character {bad!r}", line))
        if "{" in content or "}" in content:
            errors.append(FieldError(tag, "contains a malformed tag or a stray '{' / '}'", line))
        if tag in contents:
            errors.append(FieldError(tag, "appears more than once", line))
            continue
        contents[tag] = (content, line)
    errors.extend(tag_order_problems([(tag, line) for tag, (_, line) in contents.items()]))

    for tag in MANDATORY_TAGS:
        if tag not in contents:
            errors.append(FieldError(tag, "mandatory tag is missing"))

    values: dict[str, Any] = {}
    other_tags = []
    for tag, (content, line) in contents.items():
        spec = TAG_SPECS.get(tag)
        if spec is None:
            other_tags.append((tag, content))
            continue
        _read_tag(tag, spec, content, line, values, errors)

    code = values.get("business_function_code", "")
    message_type = _message_type(code)
    _check_business_rules(values, contents, errors)
    if errors:
        errors.sort(key=lambda e: e.line or 0)
        return None, errors, message_type
    message = FedwireMessage(other_tags=tuple(other_tags), **values)
    return message, errors, message_type


def _read_tag(tag: str, spec: tuple, content: str, line: int, values: dict[str, Any], errors: list[FieldError]) -> None:
    attribute, kind, parameters = spec
    if kind == "sender_supplied":
        if len(content) not in (11, 12):  # 11: an editor stripped the blank duplication code
            errors.append(
                FieldError(
                    tag,
                    f"must be 12 characters (version, correlation, test/prod, duplication), got {len(content)}",
                    line,
                )
            )
        content = content.ljust(12)[:12]
        version, correlation, test_production, duplication = content[:2], content[2:10], content[10], content[11]
        if version != "30":
            errors.append(FieldError(f"{tag}.format_version", f"must be '30', got {version!r}", line))
        if test_production not in ("T", "P"):
            errors.append(FieldError(f"{tag}.test_production_code", f"must be T or P, got {test_production!r}", line))
        if duplication not in (" ", "R", "P"):
            errors.append(
                FieldError(f"{tag}.message_duplication_code", f"must be blank, R or P, got {duplication!r}", line)
            )
        values.update(
            format_version=version,
            user_request_correlation=correlation.rstrip(),
            test_production_code=test_production,
            message_duplication_code=duplication.strip(),
        )
    elif kind == "type_subtype":
        type_code, subtype = content[:2], content[2:]
        if len(content) != 4 or type_code not in TYPE_CODES:
            errors.append(FieldError(f"{tag}.type_code", f"must be 10, 15 or 16, got {type_code!r}", line))
        if subtype not in SUBTYPE_CODES:
            errors.append(FieldError(f"{tag}.subtype_code", f"unknown subtype {subtype!r}", line))
        values.update(type_code=type_code, subtype_code=subtype)
    elif kind == "imad":
        values["imad"] = _read_imad(tag, content, line, errors)
    elif kind == "previous_imad":
        imad = content.rstrip("*")
        _read_imad(tag, imad, line, errors)
        values["previous_imad"] = imad
    elif kind == "amount":
        if len(content) != 12 or not (content.isascii() and content.isdigit()):
            errors.append(FieldError(tag, f"amount must be 12 digits of cents, got {content!r}", line))
            values["amount"] = 0
        else:
            values["amount"] = int(content)
    elif kind == "depository":
        aba_attribute, name_attribute = parameters
        aba = content[:9]
        elements = _split_elements(content[9:]) if "*" in content else _fixed_slots(content[9:], (18,))
        problem = aba_problem(aba)
        if problem:
            errors.append(FieldError(f"{tag}.aba", problem, line))
        if len(elements) > 1:
            errors.append(FieldError(tag, f"has {len(elements) + 1} elements, at most 2 (ABA, short name)", line))
        name = elements[0] if elements else ""
        _check_text(f"{tag}.short_name", name, 18, line, errors)
        values.update({aba_attribute: aba, name_attribute: name})
    elif kind == "text":
        elements = _split_elements(content) if "*" in content else _fixed_slots(content, (parameters[0],))
        if len(elements) != 1 or not elements[0]:
            errors.append(FieldError(tag, f"must hold one element, got {len(elements)}", line))
        value = elements[0] if elements else ""
        _check_text(tag, value, parameters[0], line, errors)
        values[attribute] = value
    elif kind == "business_function":
        body = content.rstrip("*")
        code, transaction_type = body[:3], body[3:].rstrip()
        if code not in BUSINESS_FUNCTIONS:
            errors.append(FieldError(f"{tag}.business_function_code", f"unknown or unsupported code {code!r}", line))
        if len(transaction_type) not in (0, 3):
            errors.append(
                FieldError(
                    f"{tag}.transaction_type_code", f"must be 3 characters or blank, got {transaction_type!r}", line
                )
            )
        values.update(business_function_code=code, transaction_type_code=transaction_type)
    elif kind == "party":
        values[attribute] = _read_party(tag, content, parameters[0], line, errors)
    elif kind == "aba":
        aba = content.rstrip("*")
        problem = aba_problem(aba)
        if problem:
            errors.append(FieldError(tag, problem, line))
        values[attribute] = aba
    elif kind == "lines":
        values[attribute] = _read_lines(tag, content, parameters, line, errors)


def _read_imad(tag: str, content: str, line: int, errors: list[FieldError]) -> Imad:
    if len(content) != 22:
        errors.append(
            FieldError(tag, f"IMAD must be 22 characters (YYYYMMDD, source 8, sequence 6), got {len(content)}", line)
        )
    cycle = None
    try:
        if not (content[:8].isascii() and content[:8].isdigit()):
            raise ValueError
        cycle = date(int(content[:4]), int(content[4:6]), int(content[6:8]))
    except ValueError:
        errors.append(FieldError(f"{tag}.cycle_date", f"must be a YYYYMMDD date, got {content[:8]!r}", line))
    source, sequence = content[8:16], content[16:22]
    if len(source) != 8 or not source.strip():
        errors.append(FieldError(f"{tag}.source", f"must be 8 characters, got {source!r}", line))
    if not (len(sequence) == 6 and sequence.isascii() and sequence.isdigit()):
        errors.append(FieldError(f"{tag}.sequence", f"must be 6 digits, got {sequence!r}", line))
    return Imad(cycle_date=cycle or date.min, source=source, sequence=sequence)


def _check_business_rules(
    values: dict[str, Any], contents: dict[str, tuple[str, int]], errors: list[FieldError]
) -> None:
    code = values.get("business_function_code")
    if code not in BUSINESS_FUNCTIONS:
        return
    line = contents["{3600}"][1]
    type_subtype = values.get("type_code", "") + values.get("subtype_code", "")
    if "{1510}" in contents and type_subtype not in BUSINESS_FUNCTIONS[code]:
        errors.append(
            network_rule(
                "{1510}",
                f"type/subtype {type_subtype} is not allowed for business function {code}",
                contents["{1510}"][1],
            )
        )
    for tag in REQUIRED_TAGS.get(code, ()):
        if tag not in contents:
            errors.append(network_rule(tag, f"mandatory for business function {code}", line))
    if code == "CTR" and "{5000}" not in contents and "{5100}" not in contents:
        errors.append(network_rule("{5000}", "a CTR needs the originator {5000} or the originator FI {5100}", line))
    if code == "CTP" and "{5000}" not in contents and "{5010}" not in contents:
        errors.append(network_rule("{5000}", "a CTP needs the originator {5000} or originator option F {5010}", line))
    if code not in ("DRB", "DRC"):
        for tag in DRAWDOWN_ONLY_TAGS:
            if tag in contents:
                errors.append(network_rule(tag, f"only allowed in drawdown requests, not {code}", contents[tag][1]))
    if values.get("subtype_code") in ("02", "08") and "{3500}" not in contents:
        errors.append(network_rule("{3500}", "a reversal (subtype 02/08) must quote the previous message IMAD", line))
    transaction_type = values.get("transaction_type_code", "")
    # CTR may carry a transaction type code but not COV; CTP carries COV for a cover payment; other codes none
    if (
        transaction_type
        and not (code == "CTR" and transaction_type != "COV")
        and not (code == "CTP" and transaction_type == "COV")
    ):
        errors.append(
            network_rule("{3600}.transaction_type_code", f"{transaction_type!r} is not allowed for {code}", line)
        )
    amount_text = contents.get("{2000}", ("", 0))[0]
    if amount_text.isdigit() and int(amount_text) == 0 and code != "SVC":  # a malformed amount is already an error
        errors.append(network_rule("{2000}", "amount must be greater than zero", contents["{2000}"][1]))


def parse_fedwire_message(raw: bytes | str) -> FedwireMessage:
    """Parse a FAIM message; raise MessageValidationError listing every problem."""
    message, errors, message_type = read_fedwire_message(raw)
    if errors or message is None:
        raise MessageValidationError(message_type, errors or [FieldError("message", "is empty")])
    return message

"""FIN message envelope: blocks 1, 2, 3 and 5 around the text block 4.

A FIN message is ``{1:basic header}{2:application header}{3:user header}{4:\\r\\ntext\\r\\n-}{5:trailer}``.
Blocks 3 and 5 are optional; block 2 is an *input* header (``I103DEUTDEFFXXXXN``, what we send)
or an *output* header (``O103...``, what SWIFT delivers to us). Other banks' systems write LF
instead of CRLF and omit optional blocks, so the reader accepts both while the writer always
emits the canonical form.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from .charset import X_CHARACTERS, describe_character, find_non_x_characters
from .fields import Problems, RawField, parse_bic

UETR_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_LT_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}[A-Z0-9][A-Z0-9]{3}$")
_TAG_LINE_RE = re.compile(r"^:([0-9]{2}[A-Z]?):(.*)$")
_BLOCK_START_RE = re.compile(r"\{([1-5]):")
_SUB_BLOCK_RE = re.compile(r"\{([A-Za-z0-9]{1,3}):([^{}]*)\}")

# Block 3 tags in the order the FIN User Handbook lists them.
USER_HEADER_ORDER = ("103", "113", "108", "119", "423", "106", "424", "111", "121", "115", "165", "433", "434")
VALIDATION_FLAGS = frozenset({"STP", "COV", "REMIT", "RFDD"})


def bic_to_logical_terminal(bic: str, terminal_code: str = "A") -> str:
    """Return the 12-character LT address for a BIC: BIC8 + terminal code + branch (``XXX`` if none)."""
    branch = bic[8:11] if len(bic) == 11 else "XXX"
    return f"{bic[:8]}{terminal_code}{branch}"


def logical_terminal_to_bic(address: str) -> str:
    """Return the BIC11 inside a 12-character LT address (drop the 9th, terminal-code character)."""
    return address[:8] + address[9:12]


@dataclass(frozen=True)
class BasicHeader:
    """Block 1: ``F01`` + 12-character LT address + 4-digit session + 6-digit sequence number."""

    logical_terminal: str
    session_number: str = "0000"
    sequence_number: str = "000000"
    application_id: str = "F"
    service_id: str = "01"

    def render(self) -> str:
        body = f"{self.application_id}{self.service_id}{self.logical_terminal}"
        return f"{{1:{body}{self.session_number}{self.sequence_number}}}"


@dataclass(frozen=True)
class InputApplicationHeader:
    """Block 2 of a message we send: ``I`` + MT + destination LT address + priority [+ monitoring + obsolescence]."""

    message_type: str
    destination: str
    priority: str | None = "N"
    delivery_monitoring: str | None = None
    obsolescence_period: str | None = None

    def render(self) -> str:
        tail = "".join(p or "" for p in (self.priority, self.delivery_monitoring, self.obsolescence_period))
        return f"{{2:I{self.message_type}{self.destination}{tail}}}"


@dataclass(frozen=True)
class OutputApplicationHeader:
    """Block 2 of a message SWIFT delivered: ``O`` + MT + input time + MIR (28) + output date/time [+ priority].

    The MIR (message input reference) holds the sender's input date, LT address, session and sequence.
    """

    message_type: str
    input_time: str
    message_input_reference: str
    output_date: str
    output_time: str
    priority: str | None = None

    @property
    def sender_logical_terminal(self) -> str:
        return self.message_input_reference[6:18]

    def render(self) -> str:
        return (
            f"{{2:O{self.message_type}{self.input_time}{self.message_input_reference}"
            f"{self.output_date}{self.output_time}{self.priority or ''}}}"
        )


@dataclass(frozen=True)
class FinEnvelope:
    """Blocks 1, 2, 3 and 5 of a message.

    ``user_header`` and ``trailer`` are ordered ``(tag, value)`` pairs; ``None`` means the block is absent.
    """

    basic: BasicHeader
    application: InputApplicationHeader | OutputApplicationHeader
    user_header: tuple[tuple[str, str], ...] | None = None
    trailer: tuple[tuple[str, str], ...] | None = None

    def user_field(self, tag: str) -> str | None:
        for key, value in self.user_header or ():
            if key == tag:
                return value
        return None

    @property
    def uetr(self) -> str | None:
        """Unique end-to-end transaction reference (block 3 field 121)."""
        return self.user_field("121")

    @property
    def validation_flag(self) -> str | None:
        """Block 3 field 119: STP (MT103+), COV (MT202 COV), REMIT, RFDD."""
        return self.user_field("119")

    @property
    def message_user_reference(self) -> str | None:
        return self.user_field("108")

    @property
    def sender_bic(self) -> str:
        if isinstance(self.application, OutputApplicationHeader):
            return logical_terminal_to_bic(self.application.sender_logical_terminal)
        return logical_terminal_to_bic(self.basic.logical_terminal)

    @property
    def receiver_bic(self) -> str:
        if isinstance(self.application, OutputApplicationHeader):
            return logical_terminal_to_bic(self.basic.logical_terminal)
        return logical_terminal_to_bic(self.application.destination)


def make_envelope(
    message_type: str,
    *,
    sender_bic: str,
    receiver_bic: str,
    uetr: str | None = None,
    validation_flag: str | None = None,
    message_user_reference: str | None = None,
    priority: str = "N",
    with_user_header: bool = True,
) -> FinEnvelope:
    """Return the envelope of a message we send from ``sender_bic`` to ``receiver_bic``.

    ``message_type`` is the three digits (``"103"``). Block 3 fields are written in handbook order.
    """
    user: list[tuple[str, str]] = []
    if message_user_reference is not None:
        user.append(("108", message_user_reference))
    if validation_flag is not None:
        user.append(("119", validation_flag))
    if uetr is not None:
        user.append(("121", uetr))
    return FinEnvelope(
        basic=BasicHeader(bic_to_logical_terminal(sender_bic, "A")),
        application=InputApplicationHeader(message_type, bic_to_logical_terminal(receiver_bic, "X"), priority),
        user_header=tuple(user) if (user or with_user_header) else None,
    )


def new_uetr() -> str:
    """Return a fresh UETR: a random (version 4) UUID in lower-case hex, as SWIFT gpi requires."""
    return str(uuid.uuid4())


def render_envelope_and_text(envelope: FinEnvelope, fields: list[tuple[str, str]]) -> str:
    """Write a complete FIN message; block 4 lines are separated by CRLF as FIN requires."""
    text_lines: list[str] = []
    for tag, value in fields:
        value_lines = value.split("\n")
        text_lines.append(f":{tag}:{value_lines[0]}")
        text_lines.extend(value_lines[1:])
    block4 = "{4:\r\n" + "\r\n".join(text_lines) + "\r\n-}"
    parts = [envelope.basic.render(), envelope.application.render()]
    if envelope.user_header is not None:
        parts.append("{3:" + "".join(f"{{{tag}:{value}}}" for tag, value in envelope.user_header) + "}")
    parts.append(block4)
    if envelope.trailer is not None:
        parts.append("{5:" + "".join(f"{{{tag}:{value}}}" for tag, value in envelope.trailer) + "}")
    return "".join(parts)


# --------------------------------------------------------------------------- reading


@dataclass
class SplitMessage:
    """The raw pieces of a message, before the message-type specific reading."""

    block1: str | None = None
    block2: str | None = None
    block3: list[tuple[str, str]] | None = None
    block4: list[RawField] | None = None
    block5: list[tuple[str, str]] | None = None
    block4_line: int = 1


def decode_raw(raw: bytes | str, problems: Problems) -> str | None:
    """Turn raw input into text; FIN is ASCII, so other bytes are reported with their position."""
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, bytes | bytearray | memoryview):
        data = bytes(raw)
        try:
            # Non-ASCII UTF-8 is decoded so the X character set check can name the character.
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            problems.add(
                "message", f"byte 0x{data[exc.start]:02X} at offset {exc.start} is neither ASCII nor UTF-8", line
            )
            text = data.decode("latin-1")
    else:
        problems.add("message", f"expected bytes or str, got {type(raw).__name__}")
        return None
    return text.lstrip("\ufeff")


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _read_sub_blocks(body: str, block_id: str, start_line: int, problems: Problems) -> list[tuple[str, str]]:
    """Read ``{tag:value}{tag:value}`` (blocks 3 and 5)."""
    items: list[tuple[str, str]] = []
    position = 0
    while position < len(body):
        match = _SUB_BLOCK_RE.match(body, position)
        if not match:
            problems.add(f"{{{block_id}:}}", f"malformed sub-block at {body[position : position + 20]!r}", start_line)
            break
        items.append((match[1], match[2]))
        position = match.end()
    return items


def split_message(text: str, problems: Problems) -> SplitMessage:
    """Cut the text into blocks and block 4 into fields, reporting structural problems."""
    result = SplitMessage()
    stripped = text.strip(" \t\r\n")
    leading = len(text) - len(text.lstrip(" \t\r\n"))
    position = 0
    seen: list[str] = []
    while position < len(stripped):
        line = _line_at(text, leading + position)
        block_match = _BLOCK_START_RE.match(stripped, position)
        if not block_match:
            problems.add(
                "message", f"expected a block such as '{{1:', got {stripped[position : position + 20]!r}", line
            )
            return result
        block_id = block_match[1]
        body_start = block_match.end()
        if block_id in seen:
            problems.add(f"{{{block_id}:}}", "block appears more than once", line)
            return result
        if seen and block_id < seen[-1]:
            problems.add(f"{{{block_id}:}}", "blocks are out of order", line)
            return result
        seen.append(block_id)
        if block_id == "4":
            end = stripped.find("\n-}", body_start)
            if end == -1:
                problems.add("{4:}", "block 4 must end with a line '-}'", line)
                return result
            body = stripped[body_start:end].rstrip("\r")
            result.block4_line = line
            result.block4 = _split_fields(body, line, problems)
            position = end + len("\n-}")
        elif block_id in ("3", "5"):
            depth, end = 1, body_start
            while end < len(stripped) and depth:
                depth += {"{": 1, "}": -1}.get(stripped[end], 0)
                end += 1
            if depth:
                problems.add(f"{{{block_id}:}}", "block is not closed with '}'", line)
                return result
            items = _read_sub_blocks(stripped[body_start : end - 1], block_id, line, problems)
            if block_id == "3":
                result.block3 = items
            else:
                result.block5 = items
            position = end
        else:
            end = stripped.find("}", body_start)
            if end == -1:
                problems.add(f"{{{block_id}:}}", "block is not closed with '}'", line)
                return result
            value = stripped[body_start:end]
            if block_id == "1":
                result.block1 = value
            else:
                result.block2 = value
            position = end + 1
    return result


def _split_fields(body: str, block_line: int, problems: Problems) -> list[RawField]:
    """Split block 4 text into fields; check every line against the X character set."""
    if body.startswith("\r\n"):
        body = body[2:]
    elif body.startswith("\n"):
        body = body[1:]
    else:
        problems.add("{4:}", "block 4 must start with a line break after '{4:'", block_line)
    fields: list[RawField] = []
    current_tag: str | None = None
    current_lines: list[str] = []
    current_line = 0
    for index, raw_line in enumerate(body.split("\n")):
        line_no = block_line + 1 + index
        content = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        tag_match = _TAG_LINE_RE.match(content)
        if tag_match:
            if current_tag is not None:
                fields.append(RawField(current_tag, "\n".join(current_lines), current_line))
            current_tag, current_lines, current_line = tag_match[1], [tag_match[2]], line_no
            label = f":{current_tag}:"
            checked, column_shift = tag_match[2], len(current_tag) + 2
        else:
            label = f":{current_tag}:" if current_tag else "{4:}"
            checked, column_shift = content, 0
            if current_tag is None:
                problems.add("{4:}", f"text before the first field tag: {content[:20]!r}", line_no)
                continue
            if content.startswith(":"):
                problems.add(label, "a line must not start with ':' unless it starts a field tag", line_no)
            elif content.startswith("-"):
                problems.add(label, "a line must not start with '-'", line_no)
            current_lines.append(content)
        for column, char in find_non_x_characters(checked):
            problems.add(
                label,
                f"character {describe_character(char)} at column {column + column_shift} is not in the SWIFT X "
                f"character set",
                line_no,
            )
    if current_tag is not None:
        fields.append(RawField(current_tag, "\n".join(current_lines), current_line))
    elif not problems:
        problems.add("{4:}", "block 4 has no fields", block_line)
    return fields


def read_envelope(split: SplitMessage, problems: Problems) -> FinEnvelope | None:
    """Check blocks 1, 2, 3 and 5 and return the envelope, or None if block 1 or 2 is unusable."""
    basic = _read_basic_header(split.block1, problems)
    application = _read_application_header(split.block2, problems)
    if split.block3 is not None:
        _check_user_header(split.block3, problems)
    if split.block5 is not None:
        _check_trailer(split.block5, problems)
    if basic is None or application is None:
        return None
    return FinEnvelope(
        basic=basic,
        application=application,
        user_header=tuple(split.block3) if split.block3 is not None else None,
        trailer=tuple(split.block5) if split.block5 is not None else None,
    )


def _check_logical_terminal(address: str, label: str, problems: Problems) -> bool:
    if not _LT_RE.match(address):
        problems.add(label, f"LT address must be BIC8 + terminal code + branch (12 characters), got {address!r}", 1)
        return False
    return parse_bic(logical_terminal_to_bic(address), label, 1, problems) is not None


def _read_basic_header(value: str | None, problems: Problems) -> BasicHeader | None:
    if value is None:
        problems.add("{1:}", "basic header block 1 is missing", 1)
        return None
    match = re.match(r"^([FAL])([0-9]{2})(.{12})([0-9]{4})([0-9]{6})$", value)
    if not match:
        problems.add(
            "{1:}", f"expected F01 + 12-character LT address + 4-digit session + 6-digit sequence, got {value!r}", 1
        )
        return None
    if match[1] != "F" or match[2] != "01":
        problems.add("{1:}", f"application/service id must be F01 for FIN user messages, got {match[1]}{match[2]}", 1)
        return None
    if not _check_logical_terminal(match[3], "{1:}", problems):
        return None
    return BasicHeader(match[3], match[4], match[5], match[1], match[2])


def _read_application_header(
    value: str | None, problems: Problems
) -> InputApplicationHeader | OutputApplicationHeader | None:
    if value is None:
        problems.add("{2:}", "application header block 2 is missing", 1)
        return None
    input_match = re.match(r"^I([0-9]{3})(.{12})([SUN])?([123])?([0-9]{3})?$", value)
    if input_match:
        if input_match[5] and not input_match[4]:
            problems.add("{2:}", "obsolescence period needs a delivery monitoring code before it", 1)
            return None
        if not _check_logical_terminal(input_match[2], "{2:}", problems):
            return None
        return InputApplicationHeader(input_match[1], input_match[2], input_match[3], input_match[4], input_match[5])
    output_match = re.match(r"^O([0-9]{3})([0-9]{4})([0-9]{6}.{12}[0-9]{10})([0-9]{6})([0-9]{4})([SUN])?$", value)
    if output_match:
        if not _check_logical_terminal(output_match[3][6:18], "{2:}", problems):
            return None
        return OutputApplicationHeader(*output_match.groups())
    problems.add("{2:}", f"expected an input (I...) or output (O...) application header, got {value!r}", 1)
    return None


def _check_value_charset(label: str, value: str, problems: Problems) -> None:
    for column, char in find_non_x_characters(value):
        problems.add(label, f"character {describe_character(char)} at column {column} is not allowed", 1)


def _check_user_header(items: list[tuple[str, str]], problems: Problems) -> None:
    seen: set[str] = set()
    for tag, value in items:
        label = f"{{{tag}:}}"
        if tag in seen:
            problems.add(label, "block 3 field appears more than once", 1)
        seen.add(tag)
        if tag not in USER_HEADER_ORDER:
            problems.add(label, f"unknown block 3 field tag {tag!r}", 1)
            continue
        if tag == "121" and not UETR_RE.match(value):
            problems.add(
                label, f"UETR must be a lower-case UUID version 4 (xxxxxxxx-xxxx-4xxx-[89ab]xxx-...), got {value!r}", 1
            )
        elif tag == "119" and value not in VALIDATION_FLAGS:
            problems.add(
                label, f"validation flag must be one of {', '.join(sorted(VALIDATION_FLAGS))}, got {value!r}", 1
            )
        elif tag == "108" and (not 1 <= len(value) <= 16 or any(c not in X_CHARACTERS or c == " " for c in value)):
            problems.add(label, f"message user reference must be 1 to 16 characters without spaces, got {value!r}", 1)
        elif tag == "111" and not re.match(r"^[0-9]{3}$", value):
            problems.add(label, f"service type identifier must be 3 digits, got {value!r}", 1)
        elif tag == "103" and not re.match(r"^[A-Z]{3}$", value):
            problems.add(label, f"service identifier must be 3 letters, got {value!r}", 1)
        else:
            _check_value_charset(label, value, problems)
    order = [USER_HEADER_ORDER.index(tag) for tag, _ in items if tag in USER_HEADER_ORDER]
    if order != sorted(order):
        problems.add("{3:}", "block 3 fields are not in the order the FIN handbook prescribes", 1)


def _check_trailer(items: list[tuple[str, str]], problems: Problems) -> None:
    for tag, value in items:
        label = f"{{{tag}:}}"
        if tag == "CHK" and not re.match(r"^[0-9A-F]{12}$", value):
            problems.add(label, f"checksum must be 12 upper-case hex characters, got {value!r}", 1)
        elif tag not in ("CHK", "MAC", "PAC", "TNG", "PDE", "PDM", "DLM", "MRF", "SYS"):
            problems.add(label, f"unknown trailer tag {tag!r}", 1)
        else:
            _check_value_charset(label, value, problems)

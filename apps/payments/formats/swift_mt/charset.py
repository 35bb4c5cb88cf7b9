"""The SWIFT FIN "X" character set and a transliteration helper for it.

FIN block 4 carries only the X set: ``a-z A-Z 0-9 / - ? : ( ) . , ' +``, space and CrLf.
Anything else is refused by the network, so we refuse it at the edge with the exact
character and column. Names typed by customers are often non-ASCII; :func:`transliterate_to_x`
turns them into X text (``Müller & Söhne`` becomes ``Muller + Sohne``) for callers that
opt in, instead of silently mangling data inside the builder.
"""

from __future__ import annotations

import re
import string
import textwrap

from anyascii import anyascii

X_CHARACTERS = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")

# Common ASCII punctuation outside the X set, mapped to the nearest X spelling.
_X_SUBSTITUTES = {
    "&": "+",
    "@": "(AT)",
    "_": "-",
    '"': "'",
    "`": "'",
    "!": ".",
    ";": ",",
    "[": "(",
    "]": ")",
    "<": "(",
    ">": ")",
    "{": "(",
    "}": ")",
    "#": "NO.",
    "%": " PCT",
    "*": ".",
    "=": "-",
    "\\": "/",
    "|": "/",
    "~": "-",
    "^": "",
    "$": "USD",
}


def find_non_x_characters(text: str) -> list[tuple[int, str]]:
    """Return ``(1-based column, character)`` for every character of one line outside the X set."""
    return [(column, char) for column, char in enumerate(text, start=1) if char not in X_CHARACTERS]


def describe_character(char: str) -> str:
    """Name a character unambiguously for an error message (``'é' (U+00E9)``)."""
    return f"{char!r} (U+{ord(char):04X})"


def transliterate_to_x(text: str) -> str:
    """Return ``text`` rewritten into the SWIFT X character set, on one line.

    Non-ASCII letters become their ASCII reading (via ``anyascii``), common punctuation gets an
    X substitute, anything left is dropped; runs of whitespace collapse to one space, and leading
    ``:`` or ``-`` are removed because a FIN line must not start with them.
    """
    ascii_text = anyascii(text)
    out = []
    for char in ascii_text:
        if char in X_CHARACTERS:
            out.append(char)
        elif char in _X_SUBSTITUTES:
            out.append(_X_SUBSTITUTES[char])
        elif char.isspace():
            out.append(" ")
    collapsed = re.sub(r" +", " ", "".join(out)).strip()
    return collapsed.lstrip(":- ").strip()


def wrap_x_lines(text: str, *, width: int = 35) -> tuple[str, ...]:
    """Split free text into FIN lines of at most ``width`` characters, breaking at spaces where possible.

    The caller checks the line count against the field's limit, so overlong text is reported
    rather than cut off.
    """
    lines: list[str] = []
    # Split on line feeds only: str.splitlines() would also swallow \x0b, \x1c, U+2028 ... silently.
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        wrapped = textwrap.wrap(paragraph, width=width, break_long_words=True, break_on_hyphens=False)
        lines.extend(line for line in wrapped if line)
    return tuple(lines)

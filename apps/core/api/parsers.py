"""JSON parser that keeps numbers exact: ``1000.10`` becomes Decimal("1000.10"), never a float.

It also refuses what PostgreSQL or the UTF-8 encoder would choke on later (a 500 instead of a 4xx):
NUL characters, lone UTF-16 surrogates (``"\\ud800"``) and documents nested deeper than any request needs.
"""

import json
import re
from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from apps.core.errors import InvalidInput

# No request body of ours nests deeper than metadata inside an object; 32 leaves room and bounds recursion.
MAX_JSON_DEPTH = 32
# NUL (PostgreSQL text and jsonb cannot hold it) and lone surrogates (not encodable as UTF-8).
FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a valid amount")


def invalid_characters(field: str | None) -> InvalidInput:
    return InvalidInput(
        "text must not contain NUL characters or unpaired UTF-16 surrogates", field=field, code="invalid_characters"
    )


def check_json_tree(data: object) -> None:
    """Raise InvalidInput if ``data`` nests deeper than MAX_JSON_DEPTH or holds a forbidden character."""
    stack: list[tuple[object, str | None, int]] = [(data, None, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", field=path, code="too_deeply_nested")
        if isinstance(value, str):
            if FORBIDDEN_CHARACTERS.search(value):
                raise invalid_characters(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if FORBIDDEN_CHARACTERS.search(key):
                    raise invalid_characters(path)
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]" if path else f"[{i}]", depth + 1) for i, item in enumerate(value))


class ExactJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = stream.read().decode(encoding)
            parsed = json.loads(data, parse_float=Decimal, parse_constant=_refuse_constant)
        except RecursionError:
            raise InvalidInput(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", code="too_deeply_nested") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"malformed JSON: {exc}") from None
        check_json_tree(parsed)
        return parsed

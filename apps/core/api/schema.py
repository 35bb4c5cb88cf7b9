"""OpenAPI: the error body every 4xx carries, documented once and attached to every operation."""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string", "description": "stable, machine-readable", "example": "invalid_amount"},
                "message": {"type": "string", "description": "for people; may change"},
                "field": {"type": "string", "nullable": True, "description": "the input at fault, if one is"},
            },
        }
    },
}

_WHY = {
    "400": "invalid input (invalid_input, unknown_field, invalid_characters, malformed_json, …)",
    "401": "missing or invalid API key",
    "403": "the key lacks the scope",
    "404": "not found",
    "409": "conflict (idempotency_key_reused, …)",
    "413": "request body too large",
    "422": "a business rule refused it (insufficient_funds, account_frozen, …)",
    "429": "rate limited",
}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook: add the Error component and the 4xx answers of each operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for _path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            # 404 everywhere: a path id, a filter naming an unknown account or a stale cursor.
            codes = ["400", "401", "403", "404", "429"]
            if method in {"post", "put", "patch"}:
                codes += ["409", "413", "422"]
            responses = operation.setdefault("responses", {})
            for code in sorted(set(codes)):
                responses.setdefault(code, {"description": _WHY[code], "content": content})
    return result

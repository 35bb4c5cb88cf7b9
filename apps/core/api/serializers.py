"""The base of every input serializer: a field the API does not know is refused, never silently ignored.

A client that misspells ``expires_at`` as ``expiry`` must learn it, not get a hold that never expires.
"""

from __future__ import annotations

from rest_framework import serializers


class RefuseUnknownFields:
    """Serializer mixin: 400 ``unknown_field`` naming the first body key that is not a declared field."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                message = f"{unknown[0]} is not a field of this request"
                raise serializers.ValidationError(
                    {unknown[0]: [serializers.ErrorDetail(message, code="unknown_field")]}
                )
        return super().to_internal_value(data)


class InputSerializer(RefuseUnknownFields, serializers.Serializer):
    """Base class for request bodies."""

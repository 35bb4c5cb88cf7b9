"""Serializer fields for money: amounts in as decimal strings (or exact JSON numbers), out as strings."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d+)?$", "example": "1000.00"})
class AmountField(serializers.Field):
    """Accept a decimal string, an integer or an exact JSON number; validation of precision is the service's."""

    default_error_messages = {"invalid": 'amount must be a decimal string such as "10.50"'}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | Decimal):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return str(value)

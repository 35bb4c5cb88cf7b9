from apps.core.errors import InvalidInput


class UnknownEventType(InvalidInput):
    code = "unknown_event_type"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

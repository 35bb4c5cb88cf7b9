"""Public identifiers: a type prefix and 24 random base-32 characters (120 bits).

They reveal nothing about row counts or creation order, unlike database primary keys.
"""

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base 32, lower case: no i, l, o, u


def new_public_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))

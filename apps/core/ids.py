"""Public identifiers: a type prefix and 24 random base-32 characters (120 bits).

They reveal nothing about row counts or creation order, unlike database primary keys.
"""

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base 32, lower case: no i, l, o, u


def new_public_id(prefix: str) -> str:
    # One 120-bit draw from the OS's CSPRNG, written in base 32 (5 bits a character): a batch posting makes
    # thousands of ids, and 24 separate draws per id were a quarter of its time.
    value = secrets.randbits(120)
    return f"{prefix}_" + "".join(_ALPHABET[(value >> shift) & 31] for shift in range(115, -1, -5))

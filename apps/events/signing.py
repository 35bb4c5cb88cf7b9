"""HMAC-SHA256 signatures of webhook deliveries: ``v1=hex(HMAC(secret, "<timestamp>.<body>"))``.

The timestamp is in the signed text so a captured delivery cannot be replayed later with a fresh header: a receiver
refuses timestamps older than its tolerance (five minutes in :func:`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-QENEX-Signature"
TIMESTAMP_HEADER = "X-QENEX-Timestamp"
EVENT_ID_HEADER = "X-QENEX-Event-Id"
EVENT_TYPE_HEADER = "X-QENEX-Event-Type"
DELIVERY_HEADER = "X-QENEX-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(
    *,
    secret: str,
    timestamp: str,
    body: bytes,
    signature_header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does (README shows the same in a standalone snippet)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - sent) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=sent, body=body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature_header.split(","))

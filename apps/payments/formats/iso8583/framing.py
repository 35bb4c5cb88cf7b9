"""Length-prefixed framing of ISO 8583 messages on a TCP stream: a 2-byte big-endian length, then the message.

The two-byte binary header is the most common framing between card switches and issuer hosts; a message is at most
65,535 bytes. No Django, no sockets beyond what is passed in.
"""

from __future__ import annotations

import socket

MAX_MESSAGE = 0xFFFF


class FramingError(ValueError):
    """The stream broke mid-frame or a message does not fit the length header."""


def frame(message: bytes) -> bytes:
    """Return ``message`` with its 2-byte big-endian length header."""
    if not 0 < len(message) <= MAX_MESSAGE:
        raise FramingError(f"a framed message has 1 to {MAX_MESSAGE} bytes, got {len(message)}")
    return len(message).to_bytes(2, "big") + message


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(left)
        if not chunk:
            if left == size:
                return None
            raise FramingError(f"the connection closed {left} bytes before the end of a frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket) -> bytes | None:
    """Read one framed message from ``sock``; None when the peer closed the connection between frames."""
    header = _read_exactly(sock, 2)
    if header is None:
        return None
    size = int.from_bytes(header, "big")
    if size == 0:
        raise FramingError("a frame of length 0")
    body = _read_exactly(sock, size)
    if body is None:
        raise FramingError("the connection closed after a frame header")
    return body

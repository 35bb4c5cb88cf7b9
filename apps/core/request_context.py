"""What the current HTTP request is, for code that has no request parameter (the audit trail).

``RequestIdMiddleware`` publishes the request id, the client IP and the request itself here for the
duration of the request; services read it through ``current_request()``. Outside a request (Celery,
management commands, the SDK) there is no context and readers get ``None``.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    source_ip: str | None
    # The request, so the authenticated principal can be read when it is known (DRF authenticates in the view,
    # after this middleware ran).
    request: Any = field(default=None, repr=False, compare=False)


_current: ContextVar[RequestContext | None] = ContextVar("qenex_request", default=None)


def current_request() -> RequestContext | None:
    return _current.get()


def client_ip(request) -> str | None:
    """Return the client address of ``request``, normalised, or None.

    The same rule as the rate limits' buckets (DRF's ``get_ident``): the socket address (``REMOTE_ADDR``), or,
    when ``QENEX_NUM_PROXIES`` trusted proxies append to ``X-Forwarded-For``, the address the outermost
    trusted proxy saw. With no trusted proxy the header is whatever the client chose to send and is ignored.
    """
    from rest_framework.throttling import BaseThrottle

    raw = BaseThrottle().get_ident(request) or ""
    try:
        return ipaddress.ip_address(raw.strip()).compressed
    except ValueError:
        return None


def publish(request) -> object:
    """Make ``request`` the current one; return a token for ``reset``."""
    return _current.set(RequestContext(request_id=request.request_id, source_ip=client_ip(request), request=request))


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]

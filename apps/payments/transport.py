"""HTTP to each rail's network (in development and tests: ``manage.py run_network_sandbox``).

The protocol is the sandbox's (``apps.payments.sandbox``): ``POST /<rail>/messages`` -> 202 receipt,
``GET /<rail>/acks?since=`` -> the answers feed. Where each rail listens: ``QENEX_PAYMENTS_NETWORK_URLS``
(``*=http://host:port`` or ``sepa=...,swift=...``). Any failure to get a receipt is a TransportError: the
caller cannot know whether the network has the message, so it resends the same message (same id) later.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TransportError(Exception):
    """No receipt: timeout, connection refused or reset, or an answer that is not a receipt."""


@dataclass(frozen=True)
class Receipt:
    network_reference: str
    message_id: str
    duplicate: bool


def network_urls() -> dict[str, str]:
    urls: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in settings.QENEX_PAYMENTS_NETWORK_URLS.split(","))):
        rail, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured(f"QENEX_PAYMENTS_NETWORK_URLS: {item!r} is not RAIL=http(s)://HOST:PORT")
        urls[rail.strip()] = url.strip().rstrip("/")
    return urls


def url_for(rail: str) -> str | None:
    urls = network_urls()
    return urls.get(rail) or urls.get("*")


def _path(rail: str) -> str:
    return "files" if rail == "ach" else "messages"


def _call(request: urllib.request.Request) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=settings.QENEX_PAYMENTS_HTTP_TIMEOUT) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        try:
            body = json.load(error)
        except ValueError:
            body = None
        return error.code, body
    except (OSError, ValueError) as exc:  # URLError, timeouts, resets, a body that is not JSON
        raise TransportError(f"{type(exc).__name__}: {exc}") from exc


def submit(rail: str, body: bytes) -> Receipt:
    base = url_for(rail)
    if base is None:
        raise TransportError(f"no network URL for {rail} (QENEX_PAYMENTS_NETWORK_URLS)")
    request = urllib.request.Request(  # noqa: S310 - network_urls() admits http(s) only
        f"{base}/{rail}/{_path(rail)}", data=body, method="POST", headers={"Content-Type": "application/octet-stream"}
    )
    status, answer = _call(request)
    if status != 202 or not isinstance(answer, dict) or "network_reference" not in answer:
        raise TransportError(f"{rail} answered {status}: {answer!r}"[:500])
    return Receipt(answer["network_reference"], answer.get("message_id", ""), bool(answer.get("duplicate")))


def acks(rail: str, since: int, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
    """Return (answers after ``since``, the next cursor)."""
    base = url_for(rail)
    if base is None:
        return [], since
    query = urllib.parse.urlencode({"since": since, "limit": limit})
    status, answer = _call(urllib.request.Request(f"{base}/{rail}/acks?{query}"))  # noqa: S310 - http(s) only
    if status != 200 or not isinstance(answer, dict):
        raise TransportError(f"{rail} feed answered {status}: {answer!r}"[:500])
    return answer["acks"], int(answer["next_cursor"])

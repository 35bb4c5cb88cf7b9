"""A tiny ASGI app for the draining test: ``/slow?seconds=N`` answers after N seconds, anything else at once."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs


async def application(scope, receive, send):
    assert scope["type"] == "http"
    seconds = float(parse_qs(scope["query_string"].decode()).get("seconds", ["0"])[0])
    await asyncio.sleep(seconds)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": f"slept {seconds}".encode()})

"""The sandbox's HTTP front: the standard library's threading HTTP server over :class:`.network.Network`.

Why the standard library: the sandbox is a test double that must start in a second, need no
database and no extra service, and serve a handful of routes; ``http.server.ThreadingHTTPServer``
does that with nothing to install, and a stalled request (the ``stall`` fault) only holds its own thread.

Errors use the project's shape ``{"error": {"code", "message", "field"}}``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .network import Network, SubmissionRefused
from .outcomes import HEADER, OutcomeError, parse_outcome_header
from .rails.ach import AnswerRefused, parse_entry_answer
from .statements import StatementRequestError

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_FEED_PAGE = 1000
_SUBMIT_RE = re.compile(r"^/(?P<rail>[a-z_]+)/(?P<path>messages|files)/?$")
_STATUS_RE = re.compile(r"^/(?P<rail>[a-z_]+)/(?P<path>messages|files)/(?P<id>[^/]+)/status/?$")
_ACKS_RE = re.compile(r"^/(?P<rail>[a-z_]+)/acks/?$")
_INBOUND_RE = re.compile(r"^/(?P<rail>[a-z_]+)/inbound/?$")
ACH_ANSWER_PATH = "/_sandbox/ach/answer"
MAX_ANSWERS = 1000


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class _AlreadySent(Exception):
    """A route that answered with its own body (the statement document): nothing more to send."""


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], network: Network, *, verbose: bool = False) -> None:
        super().__init__(address, SandboxHandler)
        self.network = network
        self.verbose = verbose
        self.stall_event = threading.Event()  # set on shutdown so stalled requests let go


class SandboxHandler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    server_version = "QENEXNetworkSandbox/1"

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    def _send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, route: Any) -> None:
        try:
            status, body = route()
        except _AlreadySent:
            return
        except ApiError as exc:
            status, body = exc.status, {"error": {"code": exc.code, "message": exc.message, "field": exc.field}}
        except Exception:  # a bug in the sandbox, never bad input: say so instead of dropping the connection
            logger.exception("network sandbox failed on %s %s", self.command, self.path)
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            body = {"error": {"code": "sandbox_error", "message": "the sandbox failed; see its log", "field": None}}
        self._send_json(status, body)

    def _rail(self, name: str, path: str | None = None) -> str:
        network = self.server.network
        if name not in network.config.rails:
            served = ", ".join(network.config.rails)
            raise ApiError(HTTPStatus.NOT_FOUND, "rail_not_served", f"this sandbox serves {served}, not {name}")
        expected = network.rail(name).path
        if path is not None and path != expected:
            raise ApiError(HTTPStatus.NOT_FOUND, "not_found", f"{name} takes /{name}/{expected}")
        return name

    # ------------------------------------------------------------------ routes
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._handle(self._post)

    def do_GET(self) -> None:  # noqa: N802
        self._handle(self._get)

    def _ach_answer(self) -> tuple[HTTPStatus, dict[str, Any]]:
        """``POST /_sandbox/ach/answer``: one answer object, or ``{"answers": [...]}`` (all taken or none)."""
        raw = self._read_body()
        self._rail("ach")
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_json", "the body must be a JSON object", "body")
        items = data.get("answers") if isinstance(data, dict) and set(data) == {"answers"} else [data]
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ANSWERS:
            raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_answer", f"answers: 1 to {MAX_ANSWERS} objects", "answers")
        try:
            answers = [parse_entry_answer(item) for item in items]
        except AnswerRefused as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, exc.code, str(exc), exc.field)
        if len({a.trace_number for a in answers}) != len(answers):
            raise ApiError(HTTPStatus.BAD_REQUEST, "duplicate_trace_number", "one answer per entry", "trace_number")
        try:
            return HTTPStatus.CREATED, {"answers": self.server.network.ach_answer(answers)}
        except SubmissionRefused as exc:
            raise ApiError(HTTPStatus.CONFLICT, exc.code, str(exc), exc.field)

    def _post(self) -> tuple[HTTPStatus, dict[str, Any]]:
        url = urlsplit(self.path)
        if url.path.rstrip("/") == ACH_ANSWER_PATH:
            return self._ach_answer()
        inbound = _INBOUND_RE.match(url.path)
        if inbound is not None:
            raw = self._read_body()
            try:
                return HTTPStatus.ACCEPTED, self.server.network.deliver(self._rail(inbound["rail"]), raw)
            except SubmissionRefused as exc:
                raise ApiError(HTTPStatus.BAD_REQUEST, exc.code, str(exc), exc.field)
        match = _SUBMIT_RE.match(url.path)
        if match is None:
            self._discard_body()
            raise ApiError(HTTPStatus.NOT_FOUND, "not_found", f"no route POST {url.path}")
        raw = self._read_body()
        rail = self._rail(match["rail"], match["path"])
        forced = None
        header = self.headers.get(HEADER)
        if header is not None:
            try:
                forced = parse_outcome_header(header)
            except OutcomeError as exc:
                raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_outcome", str(exc), HEADER)
        try:
            result = self.server.network.submit(rail, raw, forced)
        except SubmissionRefused as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, exc.code, str(exc), exc.field)
        if result.stall:
            # The network has the message; only the answer to this HTTP request is late.
            self.server.stall_event.wait(self.server.network.config.stall_seconds)
        return HTTPStatus.ACCEPTED, result.body

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= MAX_BODY_BYTES:
            self.rfile.read(int(length))
        else:
            self.close_connection = True

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise ApiError(HTTPStatus.LENGTH_REQUIRED, "length_required", "send the message with a Content-Length")
        size = int(length)
        if size > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large", f"at most {MAX_BODY_BYTES} bytes per message"
            )
        raw = self.rfile.read(size)
        if not raw.strip():
            raise ApiError(HTTPStatus.BAD_REQUEST, "empty_body", "the body must hold the raw message", "body")
        return raw

    def _statement(self, query: dict[str, list[str]]) -> tuple[HTTPStatus, dict[str, Any]]:
        """End-of-day camt.053 / MT940 of what the network settled; answered raw, not as JSON."""
        try:
            day_text = _single(query, "date")
            opening_text = _single(query, "opening") or "0"
            content_type, document = self.server.network.statement(
                currency=(_single(query, "currency") or "EUR").upper(),
                day=date.fromisoformat(day_text) if day_text else datetime.now(tz=UTC).date(),
                output=_single(query, "format") or "camt053",
                opening=Decimal(opening_text),
                extras=query.get("extra", []),
                account=_single(query, "account"),
            )
        except (StatementRequestError, ValueError, InvalidOperation) as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_statement_request", str(exc), getattr(exc, "field", None))
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(document)))
        self.end_headers()
        self.wfile.write(document)
        raise _AlreadySent

    def _get(self) -> tuple[HTTPStatus, dict[str, Any]]:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        network = self.server.network
        if url.path == "/_sandbox/health":
            return HTTPStatus.OK, {"status": "ok", "rails": list(network.config.rails), "time": time.time()}
        if url.path.rstrip("/") == ACH_ANSWER_PATH + "s":
            self._rail("ach")
            return HTTPStatus.OK, {"answers": network.ach_answers()}
        if url.path == "/_sandbox/statement":
            return self._statement(query)
        if url.path == "/_sandbox/seen":
            ident = _single(query, "id", required=True)
            rail = _single(query, "rail")
            return HTTPStatus.OK, network.seen(ident, rail)
        match = _STATUS_RE.match(url.path)
        if match is not None:
            rail = self._rail(match["rail"], match["path"])
            status = network.status(rail, match["id"])
            if status is None:
                raise ApiError(HTTPStatus.NOT_FOUND, "message_not_found", f"{rail} never received {match['id']}")
            return HTTPStatus.OK, status
        match = _INBOUND_RE.match(url.path)
        if match is not None:
            rail = self._rail(match["rail"])
            since = _integer(query, "since", 0, minimum=0)
            limit = _integer(query, "limit", 100, minimum=1, maximum=MAX_FEED_PAGE)
            return HTTPStatus.OK, network.inbound(rail, since, limit)
        match = _ACKS_RE.match(url.path)
        if match is not None:
            rail = self._rail(match["rail"])
            since = _integer(query, "since", 0, minimum=0)
            limit = _integer(query, "limit", 100, minimum=1, maximum=MAX_FEED_PAGE)
            return HTTPStatus.OK, network.acks(rail, since, limit)
        raise ApiError(HTTPStatus.NOT_FOUND, "not_found", f"no route GET {url.path}")


def _single(query: dict[str, list[str]], name: str, *, required: bool = False) -> str | None:
    values = query.get(name, [])
    if len(values) > 1:
        raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", f"give {name} once", name)
    if not values or not values[0]:
        if required:
            raise ApiError(HTTPStatus.BAD_REQUEST, "missing_parameter", f"{name} is required", name)
        return None
    return values[0]


def _integer(query: dict[str, list[str]], name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    value = _single(query, name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < minimum or (maximum is not None and int(value) > maximum):
        bounds = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", f"{name} must be an integer {bounds}", name)
    return int(value)


def serve(network: Network, host: str, port: int, *, verbose: bool = False) -> SandboxServer:
    """Return a bound server; the caller runs ``serve_forever()``."""
    return SandboxServer((host, port), network, verbose=verbose)

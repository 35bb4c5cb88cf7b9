"""QENEX's FIX 4.4 initiator to the liquidity provider, usable from synchronous Django code.

One session per process, run by fixcore's SocketInitiator on an asyncio loop in a daemon thread (auto-reconnect,
heartbeats, sequence numbers and gap recovery from its file store under ``QENEX_FX_FIX_STORE_DIR``). Callers block
on ``quote``/``order``/``prices`` with a timeout; the FIX callbacks only resolve futures (no database work there).

An order that has no ExecutionReport when the connection drops is resent on the next logon with the same ClOrdID
and PossResend=Y: the LP answers a known ClOrdID with its first report, so a resend never trades twice. A process
that died with an order out asks after it with ``order_status`` (OrderStatusRequest, answered by an ExecutionReport
of ExecType I) before deciding to resend (``apps.treasury.services.hedge_pending``).
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from fixcore.application import Application
from fixcore.message.field import Group
from fixcore.message.message import Message
from fixcore.session.session_id import SessionID
from fixcore.transport.initiator import SocketInitiator

from .session import new_message, session_settings


class LpUnavailable(Exception):
    """No answer from the LP in time (not logged on, or it did not answer)."""


@dataclass(frozen=True)
class LpQuote:
    symbol: str
    quote_id: str
    bid: Decimal
    offer: Decimal
    valid_until: datetime


@dataclass(frozen=True)
class LpExecution:
    cl_ord_id: str
    exec_id: str
    order_id: str
    filled: bool
    price: Decimal | None
    quantity: Decimal
    text: str


@dataclass(frozen=True)
class LpOrderStatus:
    """What the LP knows of a ClOrdID: ``done`` (``execution`` is its fill or rejection), ``working`` (ask again
    later) or ``unknown`` (it never received the order: resending it is safe)."""

    state: str
    execution: LpExecution | None = None


def _execution(report: Message) -> LpExecution:
    filled = report.get_field_or(39, "") == "2"  # OrdStatus Filled: a fill report, or a status report of a fill
    return LpExecution(
        cl_ord_id=report.get_field_or(11, ""),
        exec_id=report.get_field_or(17, ""),
        order_id=report.get_field_or(37, ""),
        filled=filled,
        price=Decimal(report.get_field(31)) if filled else None,
        quantity=Decimal(report.get_field_or(32, "0") or "0"),
        text=report.get_field_or(58, ""),
    )


def _parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%d-%H:%M:%S.%f").replace(tzinfo=UTC)


class FixLpClient(Application):
    def __init__(self, *, host: str, port: int, store_dir: str) -> None:
        self._settings = session_settings(role="initiator", host=host, port=port, store_dir=store_dir)
        self._loop = asyncio.new_event_loop()
        self._logged_on = threading.Event()
        self._lock = threading.Lock()
        self._quotes: dict[str, Future] = {}
        self._orders: dict[str, Future] = {}
        self._statuses: dict[str, Future] = {}  # OrdStatusReqID -> the status ExecutionReport
        self._pending_orders: dict[str, Message] = {}  # sent, no ExecutionReport yet: resent on logon
        self._prices: dict[str, tuple[Decimal, Decimal, datetime]] = {}
        self.logons = 0
        self._initiator = SocketInitiator(self._settings, self)
        self._thread = threading.Thread(target=self._run, name="fix-lp-client", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._initiator.start())
        self._loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._initiator.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    # --- fixcore callbacks (on the loop's thread) --------------------------------------------------------
    def on_logon(self, session_id: SessionID) -> None:
        self.logons += 1
        self._logged_on.set()
        with self._lock:
            pending = list(self._pending_orders.values())
        for order in pending:
            order.set_field(97, "Y")  # PossResend: the LP may have seen it
            asyncio.get_running_loop().create_task(self._send(order))
        asyncio.get_running_loop().create_task(self._send(self._market_data_request()))

    def on_logout(self, session_id: SessionID) -> None:
        self._logged_on.clear()

    def from_app(self, message: Message, session_id: SessionID) -> None:
        msg_type = message.header.get_or(35)
        if msg_type == "W":
            prices = {g.get_field(269): Decimal(g.get_field(270)) for g in message.get_groups(268)}
            if "0" in prices and "1" in prices:
                self._prices[message.get_field_or(55, "")] = (prices["0"], prices["1"], datetime.now(UTC))
        elif msg_type in ("S", "AG"):
            future = self._quotes.pop(message.get_field_or(131, ""), None)
            if future is not None and not future.done():
                future.set_result(message)
        elif msg_type == "8" and message.get_field_or(150, "") == "I":  # an answer to an OrderStatusRequest
            future = self._statuses.pop(message.get_field_or(790, ""), None)
            if future is not None and not future.done():
                future.set_result(message)
        elif msg_type == "8":
            cl_ord_id = message.get_field_or(11, "")
            with self._lock:
                self._pending_orders.pop(cl_ord_id, None)
                future = self._orders.pop(cl_ord_id, None)
            if future is not None and not future.done():
                future.set_result(message)

    # --- sending -----------------------------------------------------------------------------------------
    async def _send(self, message: Message) -> None:
        session = next(iter(self._initiator.sessions.values()))
        await session.send_app(message)

    def _submit(self, message: Message, timeout: float) -> None:
        if not self._logged_on.wait(timeout):
            raise LpUnavailable("not logged on to the LP")
        asyncio.run_coroutine_threadsafe(self._send(message), self._loop).result(timeout=timeout)

    def _market_data_request(self) -> Message:
        request = new_message("V", {262: f"MD{uuid.uuid4().hex[:10]}", 263: "1", 264: "1"})
        for entry_type in ("0", "1"):
            group = Group()
            group.set_field(269, entry_type)
            request.add_group(267, group)
        for symbol in settings.QENEX_FX_PAIRS:
            group = Group()
            group.set_field(55, symbol)
            request.add_group(146, group)
        return request

    # --- the blocking API ----------------------------------------------------------------------------------
    def wait_logged_on(self, timeout: float = 10.0) -> bool:
        return self._logged_on.wait(timeout)

    def prices(self) -> dict[str, tuple[Decimal, Decimal, datetime]]:
        """The LP's latest bid/offer per pair, as streamed (refreshed on every QuoteRequest too)."""
        return dict(self._prices)

    def quote(self, symbol: str, *, timeout: float = 5.0) -> LpQuote:
        req_id = f"QR{uuid.uuid4().hex[:12]}"
        future: Future = Future()
        self._quotes[req_id] = future
        self._submit(new_message("R", {131: req_id, 55: symbol}), timeout)
        try:
            answer: Message = future.result(timeout=timeout)
        except FutureTimeout:
            self._quotes.pop(req_id, None)
            raise LpUnavailable("the LP did not quote in time") from None
        if answer.header.get_or(35) != "S":
            raise LpUnavailable(answer.get_field_or(58, "the LP declined to quote"))
        bid, offer = Decimal(answer.get_field(132)), Decimal(answer.get_field(133))
        self._prices[symbol] = (bid, offer, datetime.now(UTC))
        return LpQuote(symbol, answer.get_field(117), bid, offer, _parse_time(answer.get_field(62)))

    def order(
        self, *, cl_ord_id: str, symbol: str, buy: bool, quantity: Decimal, timeout: float | None = None
    ) -> LpExecution:
        """Send a market order (or wait for the one already sent under ``cl_ord_id``) and return its execution."""
        timeout = settings.QENEX_FX_ORDER_TIMEOUT_SECONDS if timeout is None else timeout
        with self._lock:
            future = self._orders.get(cl_ord_id)
            if future is None:
                future = self._orders[cl_ord_id] = Future()
                order = new_message(
                    "D",
                    {
                        11: cl_ord_id,
                        55: symbol,
                        54: "1" if buy else "2",
                        38: format(quantity, "f"),
                        40: "1",
                        60: datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3],
                    },
                )
                self._pending_orders[cl_ord_id] = order
                send = True
            else:
                send = False
        if send:
            try:
                self._submit(order, timeout)
            except (LpUnavailable, FutureTimeout, RuntimeError):
                pass  # stays pending: resent (PossResend) on the next logon
        try:
            report: Message = future.result(timeout=timeout)
        except FutureTimeout:
            raise LpUnavailable(f"no ExecutionReport for {cl_ord_id} in time") from None
        return _execution(report)

    def order_status(self, *, cl_ord_id: str, symbol: str, buy: bool, timeout: float | None = None) -> LpOrderStatus:
        """Ask the LP what became of ``cl_ord_id`` (OrderStatusRequest); LpUnavailable without an answer in time."""
        timeout = settings.QENEX_FX_ORDER_TIMEOUT_SECONDS if timeout is None else timeout
        req_id = f"OS{uuid.uuid4().hex[:12]}"
        future: Future = Future()
        self._statuses[req_id] = future
        self._submit(new_message("H", {790: req_id, 11: cl_ord_id, 55: symbol, 54: "1" if buy else "2"}), timeout)
        try:
            report: Message = future.result(timeout=timeout)
        except FutureTimeout:
            self._statuses.pop(req_id, None)
            raise LpUnavailable(f"no order status for {cl_ord_id} in time") from None
        ord_status = report.get_field_or(39, "")
        if ord_status == "8" and report.get_field_or(103, "") == "5":
            return LpOrderStatus("unknown")
        if ord_status in ("2", "8"):
            return LpOrderStatus("done", _execution(report))
        return LpOrderStatus("working")


_client: FixLpClient | None = None
_client_key: tuple | None = None  # (pid, host, port, store) the session was started for
_client_lock = threading.Lock()


def lp_client() -> FixLpClient:
    """This process's session to the LP (started on first use).

    A forked process (a server worker, a test's server) inherits the parent's client object but not its
    session thread, so it starts its own; a changed configuration (host, port, store) starts a new session too.
    """
    global _client, _client_key
    key = (os.getpid(), settings.QENEX_FX_LP_HOST, settings.QENEX_FX_LP_PORT, settings.QENEX_FX_FIX_STORE_DIR)
    with _client_lock:
        if _client is not None and _client_key != key:
            if _client_key is not None and _client_key[0] == key[0]:
                _client.stop()  # same process, new configuration; a parent's session is the parent's to stop
            _client = None
        if _client is None:
            _client = FixLpClient(host=key[1], port=key[2], store_dir=key[3])
            _client_key = key
        return _client


def lp_client_reset() -> None:
    """Stop this process's session (tests, or a changed configuration)."""
    global _client
    with _client_lock:
        if _client is not None:
            _client.stop()
            _client = None

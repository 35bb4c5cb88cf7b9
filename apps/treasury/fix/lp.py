"""A liquidity-provider simulator: a FIX 4.4 acceptor that prices, quotes and fills (``manage.py run_fix_lp``).

Prices are a random walk per pair around a mid with a fixed spread. It answers MarketDataRequest (V) with a
MarketDataSnapshotFullRefresh (W), QuoteRequest (R) with a Quote (S) valid for ``quote_ttl`` seconds, and
NewOrderSingle (D) with an ExecutionReport (8), filled at its current price or rejected, and OrderStatusRequest (H)
with an ExecutionReport of ExecType I: the order's fill (or rejection) as first reported, OrdStatus A (pending new)
while it is still being worked, or OrdStatus 8 with OrdRejReason 5 (unknown order) for a ClOrdID it never received.

It remembers every ClOrdID it has answered (in ``state_dir``, so an LP restart remembers too): a resent order
gets the first ExecutionReport again (PossResend), never a second trade.

Faults, from the command line or at run time through the plain-text control port (one command a line):
``reject on|off`` (reject orders), ``delay <ms>`` (before answering an order), ``drop-next-order`` (fill the next
order, then drop the connection before the ExecutionReport goes out), ``lose-next-order`` (ignore the next
order as if it never arrived: neither booked nor answered), ``gap`` (skip one outgoing sequence number,
so QENEX must ask for a resend and get a gap fill), ``fills`` (answers the number of fills booked).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from fixcore.application import Application
from fixcore.message.field import Group
from fixcore.message.message import Message
from fixcore.session.session_id import SessionID
from fixcore.transport.acceptor import SocketAcceptor

from .session import new_message, session_settings

logger = logging.getLogger(__name__)

# Mid prices the walk starts from, and the spread (in price units) each side.
START_MIDS = {
    "EURUSD": Decimal("1.0850"),
    "GBPUSD": Decimal("1.2700"),
    "USDJPY": Decimal("150.00"),
    "EURGBP": Decimal("0.8550"),
    "USDCHF": Decimal("0.8800"),
}
PRICE_DIGITS = {"USDJPY": 3}


def fix_time(when: datetime) -> str:
    return when.strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


@dataclass
class Faults:
    reject_orders: bool = False
    delay_ms: int = 0
    drop_next_order: bool = False
    lose_next_order: bool = False
    gap_next: bool = False


@dataclass
class PriceBook:
    spread_bp: Decimal = Decimal("2")
    mids: dict[str, Decimal] = field(default_factory=lambda: dict(START_MIDS))
    rng: random.Random = field(default_factory=random.Random)

    def step(self) -> None:
        for pair, mid in self.mids.items():
            self.mids[pair] = mid * (Decimal(1) + Decimal(str(self.rng.gauss(0, 0.00005))))

    def bid_offer(self, pair: str) -> tuple[Decimal, Decimal]:
        mid = self.mids[pair]
        half = mid * self.spread_bp / Decimal(20000)
        exp = Decimal(1).scaleb(-PRICE_DIGITS.get(pair, 5))
        return (mid - half).quantize(exp, ROUND_HALF_EVEN), (mid + half).quantize(exp, ROUND_HALF_EVEN)


class LiquidityProvider(Application):
    def __init__(self, *, book: PriceBook, faults: Faults, state_dir: Path, quote_ttl: float) -> None:
        self.book, self.faults, self.quote_ttl = book, faults, quote_ttl
        self.state_path = state_dir / "lp-orders.json"
        # ClOrdID -> the fields of the ExecutionReport that answered it.
        self.answered: dict[str, dict[int, str]] = (
            {k: {int(t): v for t, v in fields.items()} for k, fields in json.loads(self.state_path.read_text()).items()}
            if self.state_path.exists()
            else {}
        )
        self.working: set[str] = set()  # ClOrdIDs received and not yet answered (during ``delay``)
        self.acceptor: SocketAcceptor | None = None
        self.subscribed: set[str] = set()

    # --- sending -----------------------------------------------------------------------------------------
    def _session(self):
        assert self.acceptor is not None
        return next(iter(self.acceptor.sessions.values()))

    async def send(self, message: Message) -> None:
        session = self._session()
        if self.faults.gap_next:
            self.faults.gap_next = False
            store = session._store  # fixcore keeps the sequence numbers in its store; skipping one makes a gap
            store.set_next_sender_msg_seq_num(store.next_sender_msg_seq_num() + 1)
        await session.send_app(message)

    def _spawn(self, coro) -> None:
        asyncio.get_running_loop().create_task(coro)

    # --- callbacks ---------------------------------------------------------------------------------------
    def on_logon(self, session_id: SessionID) -> None:
        logger.info("LP: %s logged on", session_id)

    def from_app(self, message: Message, session_id: SessionID) -> None:
        msg_type = message.header.get_or(35)
        if msg_type == "V":
            self._spawn(self._market_data(message))
        elif msg_type == "R":
            self._spawn(self._quote(message))
        elif msg_type == "D":
            self._spawn(self._order(message))
        elif msg_type == "H":
            self._spawn(self._order_status(message))

    async def _market_data(self, request: Message) -> None:
        symbols = [g.get_field(55) for g in request.get_groups(146)] or [request.get_field_or(55, "EURUSD")]
        for symbol in symbols:
            await self.send(self.snapshot(symbol, request.get_field_or(262, "")))

    def snapshot(self, symbol: str, request_id: str) -> Message:
        bid, offer = self.book.bid_offer(symbol)
        message = new_message("W", {262: request_id, 55: symbol})
        for entry_type, price in (("0", bid), ("1", offer)):
            entry = Group()
            entry.set_field(269, entry_type)
            entry.set_field(270, format(price, "f"))
            message.add_group(268, entry)
        return message

    async def _quote(self, request: Message) -> None:
        symbol = request.get_field_or(55, "")
        req_id = request.get_field_or(131, "")
        if symbol not in self.book.mids:
            await self.send(new_message("AG", {131: req_id, 658: "1", 58: f"unknown symbol {symbol}"}))
            return
        bid, offer = self.book.bid_offer(symbol)
        until = datetime.now(UTC) + timedelta(seconds=self.quote_ttl)
        await self.send(
            new_message(
                "S",
                {131: req_id, 117: f"Q{uuid.uuid4().hex[:12]}", 55: symbol, 132: bid, 133: offer, 62: fix_time(until)},
            )
        )

    async def _order(self, order: Message) -> None:
        cl_ord_id = order.get_field_or(11, "")
        if cl_ord_id in self.answered:  # a resend (after a disconnect): the first answer again, never a second trade
            await self.send(new_message("8", {**self.answered[cl_ord_id], 97: "Y"}))
            return
        if cl_ord_id in self.working:  # a resend while the first is worked: its report answers both
            return
        if self.faults.lose_next_order:
            self.faults.lose_next_order = False
            logger.info("LP: losing order %s", cl_ord_id)
            return
        self.working.add(cl_ord_id)
        if self.faults.delay_ms:
            await asyncio.sleep(self.faults.delay_ms / 1000)
        symbol, side, qty = order.get_field_or(55, ""), order.get_field_or(54, "1"), order.get_field_or(38, "0")
        fields: dict[int, str] = {
            37: f"O{uuid.uuid4().hex[:12]}",
            17: f"E{uuid.uuid4().hex[:12]}",
            11: cl_ord_id,
            55: symbol,
            54: side,
            38: qty,
            60: fix_time(datetime.now(UTC)),
        }
        if self.faults.reject_orders or symbol not in self.book.mids:
            fields.update({150: "8", 39: "8", 14: "0", 151: "0", 6: "0", 58: "rejected by the LP"})
        else:
            bid, offer = self.book.bid_offer(symbol)
            price = format(offer if side == "1" else bid, "f")
            fields.update({150: "F", 39: "2", 31: price, 32: qty, 14: qty, 151: "0", 6: price})
        self.answered[cl_ord_id] = fields
        self.state_path.write_text(json.dumps(self.answered))
        self.working.discard(cl_ord_id)
        if self.faults.drop_next_order:
            self.faults.drop_next_order = False
            logger.info("LP: dropping the connection after booking %s", cl_ord_id)
            await self._session().disconnect()
            return
        await self.send(new_message("8", fields))

    async def _order_status(self, request: Message) -> None:
        cl_ord_id = request.get_field_or(11, "")
        status_fields: dict[int, str] = {150: "I", 790: request.get_field_or(790, "")}
        if cl_ord_id in self.answered:
            fields = {**self.answered[cl_ord_id], **status_fields}
        else:
            fields = {
                37: "NONE", 17: f"E{uuid.uuid4().hex[:12]}", 11: cl_ord_id, 55: request.get_field_or(55, ""),
                54: request.get_field_or(54, "1"), 14: "0", 151: "0", 6: "0", **status_fields,
            }  # fmt: skip
            if cl_ord_id in self.working:
                fields[39] = "A"  # pending new: ask again later
            else:
                fields.update({39: "8", 103: "5", 58: "unknown order"})
        await self.send(new_message("8", fields))

    def fills(self) -> int:
        return sum(1 for f in self.answered.values() if f.get(150) == "F")


async def _control(lp: LiquidityProvider, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        words = line.decode().split()
        answer = "ok"
        match words:
            case ["reject", flag]:
                lp.faults.reject_orders = flag == "on"
            case ["delay", ms]:
                lp.faults.delay_ms = int(ms)
            case ["drop-next-order"]:
                lp.faults.drop_next_order = True
            case ["lose-next-order"]:
                lp.faults.lose_next_order = True
            case ["gap"]:
                lp.faults.gap_next = True
            case ["fills"]:
                answer = str(lp.fills())
            case ["price", pair, mid]:
                lp.book.mids[pair] = Decimal(mid)
            case _:
                answer = "unknown command"
        writer.write(f"{answer}\n".encode())
        await writer.drain()
    writer.close()


async def serve(
    *,
    port: int,
    control_port: int | None,
    state_dir: Path,
    faults: Faults,
    quote_ttl: float,
    spread_bp: Decimal,
    seed: int | None,
    tick_seconds: float,
    host: str = "127.0.0.1",
) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    book = PriceBook(spread_bp=spread_bp, rng=random.Random(seed))
    lp = LiquidityProvider(book=book, faults=faults, state_dir=state_dir, quote_ttl=quote_ttl)
    settings = session_settings(role="acceptor", host=host, port=port, store_dir=str(state_dir / "store"))
    lp.acceptor = SocketAcceptor(settings, lp)
    await lp.acceptor.start()
    if control_port:
        await asyncio.start_server(lambda r, w: _control(lp, r, w), host, control_port)
    sys.stdout.write(f"FIX LP listening on {host}:{port} (control {control_port})\n")
    sys.stdout.flush()
    while True:
        await asyncio.sleep(tick_seconds)
        book.step()

"""A card switch for tests, the benchmark and operators: it sends 0100/0220/0400 to the issuer host over TCP.

No Django and no database: only the formats library and a socket, so it can run as its own process
(``manage.py card_switch``) or inside a test. It numbers STANs itself and remembers nothing else.

    with CardSwitch("127.0.0.1", port) as switch:
        answer = switch.authorise(pan="4111111111111111", amount_minor=2500, expiry="3012")
        switch.advise(answer, amount_minor=2300)      # clearing for less: the rest is released
        switch.reverse(other_answer)                   # 0400: the hold is voided
        switch.reverse(third, replacement_amount_minor=900)  # DE95: the hold keeps 9.00, the rest is released
        switch.network_management("301")               # 0800 echo test -> 0810
"""

from __future__ import annotations

import itertools
import random
import socket
from dataclasses import replace
from datetime import UTC, datetime

from apps.payments.formats.iso8583 import CardMessage, build_iso8583_message, frame, parse_iso8583_message, read_frame

DEFAULT_TERMINAL = "TERM0001"
DEFAULT_MERCHANT = "MERCHANT0000001"
DEFAULT_ACQUIRER = "400001"


class CardSwitch:
    def __init__(self, host: str, port: int, *, timeout: float = 10.0, terminal_id: str = DEFAULT_TERMINAL) -> None:
        self.address = (host, port)
        self.timeout = timeout
        self.terminal_id = terminal_id
        self._stans = itertools.count(random.randrange(1, 900_000))
        self._sock: socket.socket | None = None

    # ------------------------------------------------------------------ connection
    def connect(self) -> CardSwitch:
        self._sock = socket.create_connection(self.address, timeout=self.timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> CardSwitch:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, raw: bytes) -> bytes | None:
        """Send one request; return the raw response, or None if the host closed without one."""
        if self._sock is None:
            self.connect()
        assert self._sock is not None
        self._sock.sendall(frame(raw))
        return read_frame(self._sock)

    def send(self, message: CardMessage) -> CardMessage:
        raw = self.send_raw(build_iso8583_message(message, check_luhn=False))
        if raw is None:
            raise ConnectionError("the card host closed the connection without an answer")
        return parse_iso8583_message(raw, check_luhn=False)

    # ------------------------------------------------------------------ messages
    def next_stan(self) -> str:
        return f"{next(self._stans) % 1_000_000:06d}"

    def authorisation_request(
        self,
        *,
        pan: str,
        amount_minor: int,
        currency_code: str = "840",
        expiry: str | None = None,
        stan: str | None = None,
        rrn: str | None = None,
        processing_code: str = "000000",
        mcc: str = "5411",
        merchant_id: str = DEFAULT_MERCHANT,
        acquirer_country: str = "840",
        at: datetime | None = None,
    ) -> CardMessage:
        at = at or datetime.now(UTC)
        stan = stan or self.next_stan()
        return CardMessage(
            mti="0100",
            pan=pan,
            processing_code=processing_code,
            amount=amount_minor,
            transmission_datetime=f"{at:%m%d%H%M%S}",
            stan=stan,
            local_time=f"{at:%H%M%S}",
            local_date=f"{at:%m%d}",
            expiry=expiry,
            mcc=mcc,
            acquirer_country=acquirer_country,
            pos_entry_mode="051",
            acquirer_id=DEFAULT_ACQUIRER,
            rrn=rrn or f"{at:%y}{at.timetuple().tm_yday:03d}{at:%H}{stan[-5:]}"[:12],
            terminal_id=self.terminal_id,
            merchant_id=merchant_id,
            currency_code=currency_code,
        )

    def authorise(self, **fields: object) -> CardMessage:
        """Send an 0100 built from ``fields`` (see ``authorisation_request``); return the 0110."""
        return self.send(self.authorisation_request(**fields))  # type: ignore[arg-type]

    def reverse(
        self, answer: CardMessage, *, mti: str = "0400", replacement_amount_minor: int | None = None
    ) -> CardMessage:
        """Send an 0400 (or 0420 advice) reversing the authorisation ``answer`` (its 0110); return the 0410/0430.

        With ``replacement_amount_minor`` the reversal is partial: DE95 carries the amount the merchant keeps.
        """
        original = f"0100{answer.stan}{answer.transmission_datetime}{(answer.acquirer_id or '').zfill(11)}{'0' * 11}"
        request = CardMessage(
            mti=mti,
            pan=answer.pan,
            processing_code=answer.processing_code,
            amount=answer.amount,
            transmission_datetime=f"{datetime.now(UTC):%m%d%H%M%S}",
            stan=self.next_stan(),
            acquirer_id=answer.acquirer_id,
            rrn=answer.rrn,
            terminal_id=answer.terminal_id,
            merchant_id=answer.merchant_id,
            currency_code=answer.currency_code,
            original_data_elements=original,
            replacement_amounts=None
            if replacement_amount_minor is None
            else f"{replacement_amount_minor:012d}{replacement_amount_minor:012d}C00000000C00000000",
        )
        return self.send(request)

    def network_management(self, code: str = "301") -> CardMessage:
        """Send an 0800 (DE70 ``code``: 001 sign-on, 002 sign-off, 301 echo test); return the 0810."""
        return self.send(
            CardMessage(
                mti="0800",
                transmission_datetime=f"{datetime.now(UTC):%m%d%H%M%S}",
                stan=self.next_stan(),
                network_management_code=code,
            )
        )

    def advise(self, answer: CardMessage, *, amount_minor: int | None = None) -> CardMessage:
        """Send an 0220 clearing the authorisation ``answer`` for ``amount_minor`` (default: all); return the 0230."""
        request = replace(
            answer,
            mti="0220",
            amount=answer.amount if amount_minor is None else amount_minor,
            transmission_datetime=f"{datetime.now(UTC):%m%d%H%M%S}",
            stan=self.next_stan(),
            response_code=None,
            auth_id=None,
        )
        return self.send(request)

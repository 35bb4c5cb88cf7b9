"""The issuer authorisation host: ISO 8583 over TCP, each message framed by a 2-byte big-endian length.

One thread per switch connection; requests on a connection are answered in order. Each thread keeps its own
database connection (from the process's pool, ``QENEX_DB_POOL_SIZE``, which therefore bounds how many switch
connections are served at once) for as long as its switch stays connected: returning it to the pool after every
message made each authorisation pay the connection's set-up statements again. A connection that saw a database
error is checked after the message and replaced if it is broken (the database restarted).
``manage.py run_card_host`` serves it.
"""

from __future__ import annotations

import logging
import socket
import socketserver

from django.db import connections

from apps.payments.formats.iso8583 import FramingError, frame, read_frame

from .iso import answer_message

logger = logging.getLogger(__name__)


class _SwitchConnection(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while (raw := read_frame(sock)) is not None:
                reply = answer_message(raw)
                _drop_broken_connections()
                if reply is not None:
                    sock.sendall(frame(reply))
        except (FramingError, OSError) as exc:
            logger.info("card host: switch connection %s ended: %s", self.client_address, exc)
        finally:
            connections.close_all()


def _drop_broken_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()  # the next message opens a new one


class CardHost(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int) -> None:
        super().__init__((host, port), _SwitchConnection)

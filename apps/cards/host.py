"""The issuer authorisation host: ISO 8583 over TCP, each message framed by a 2-byte big-endian length.

One thread per switch connection; requests on a connection are answered in order. Each thread has its own
database connection, closed when its switch disconnects. ``manage.py run_card_host`` serves it.
"""

from __future__ import annotations

import logging
import socket
import socketserver

from django.db import close_old_connections, connections

from apps.payments.formats.iso8583 import FramingError, frame, read_frame

from .iso import answer_message

logger = logging.getLogger(__name__)


class _SwitchConnection(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while (raw := read_frame(sock)) is not None:
                close_old_connections()  # a connection the database dropped (restart) is replaced here
                reply = answer_message(raw)
                if reply is not None:
                    sock.sendall(frame(reply))
        except (FramingError, OSError) as exc:
            logger.info("card host: switch connection %s ended: %s", self.client_address, exc)
        finally:
            connections.close_all()


class CardHost(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int) -> None:
        super().__init__((host, port), _SwitchConnection)

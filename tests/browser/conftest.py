"""Browser tests' servers: the real ASGI application (HTTP and WebSockets) in a Daphne process.

pytest-django's ``live_server`` speaks WSGI only, so a page that opens a WebSocket (the live dashboard and
account page) cannot work against it. ``asgi_server`` forks a Daphne process serving ``qenex.asgi`` (static
files through Django's ASGI static handler, as ``ChannelsLiveServerTestCase`` does) on the test database; the
tests write with the ORM (transactional tests: their rows are committed) and the server sees them. Settings
the server needs are set before the fork, so the child inherits them: the WebAuthn relying party is
``localhost`` on the chosen port, and the dashboard recomputes its figures every half second.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from channels.testing.live import make_application
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection, connections
from django.test.utils import override_settings

from tests.network_sandbox import free_port


@pytest.fixture(scope="module")
def asgi_server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The base URL (``http://localhost:<port>``) of a Daphne process serving the whole application."""
    port = free_port()
    url = f"http://localhost:{port}"
    overrides = override_settings(
        OTP_WEBAUTHN_RP_ID="localhost",
        OTP_WEBAUTHN_ALLOWED_ORIGINS=[url],
        QENEX_PORTAL_DASHBOARD_POLL_SECONDS=0.5,
    )
    overrides.enable()
    server = DaphneProcess(
        "127.0.0.1", partial(make_application, static_wrapper=ASGIStaticFilesHandler), port=port
    )
    server.daemon = True
    with django_db_blocker.unblock():  # forked while unblocked: the child keeps pytest-django's blocker open
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL: set DATABASE_URL (make test does)")
        connections.close_all()  # the child must open its own connections, not share the parent's sockets
        server.start()
    try:
        if not server.ready.wait(timeout=30):
            error = "" if server.errors.empty() else server.errors.get(False)[1]
            pytest.fail(f"Daphne did not start: {error}")
        yield url
    finally:
        server.terminate()
        server.join(timeout=10)
        overrides.disable()

"""The dashboard's live socket over the real ASGI application: who may listen, and a posting reaching it."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from apps.ledger.services import post_deposit
from qenex.asgi import application
from tests.factories import funded_account
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db(transaction=True)


def _socket(session: str | None) -> WebsocketCommunicator:
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    if session is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return WebsocketCommunicator(application, "/ws/portal/dashboard", headers=headers)


def _session(username: str, role: str | None) -> str:
    client = otp_login(Client(), make_staff(username, role))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def _refused(session: str | None) -> tuple[bool, int | None]:
    return await _socket(session).connect()


def test_the_dashboard_socket_refuses_outsiders_and_sends_new_figures_after_a_posting(settings):
    """One test (each transactional test pays a database flush): who is refused, then what a teller gets."""
    settings.QENEX_PORTAL_DASHBOARD_POLL_SECONDS = 0.2
    assert async_to_sync(_refused)(None) == (False, 4403)  # anonymous
    assert async_to_sync(_refused)(_session("norole", None)) == (False, 4403)  # staff without a role
    account = funded_account("10.00", "USD")
    session = _session("watcher", "teller")

    async def scenario():
        communicator = _socket(session)
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from(timeout=10)
        await database_sync_to_async(post_deposit)(to_account=account.public_id, amount="1990.00", currency="USD")
        second = await communicator.receive_json_from(timeout=10)
        await communicator.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()
    assert first["volumes"] == [{"type": "DEPOSIT", "currency": "USD", "count": 1, "amount": "10.00"}]
    assert second["volumes"] == [{"type": "DEPOSIT", "currency": "USD", "count": 2, "amount": "2,000.00"}]

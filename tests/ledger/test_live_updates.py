"""Live balance updates over the real ASGI application (session cookie, Channels auth, channel layer: Redis in CI).

A socket gets what the account page shows, to whom the page shows it: a session that passed the second factor,
a user holding ``accounts.view_account``, an account that exists. Anything else is closed before it joins a
group (4403 not allowed, 4404 no such account).
"""

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
from tests.staff import enrol_totp, make_staff, otp_login, password_login

pytestmark = pytest.mark.django_db(transaction=True)


def _session(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _socket(account_id: str, session: str | None = None) -> WebsocketCommunicator:
    """A WebSocket to the real ASGI app, carrying a session cookie as a browser would."""
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    if session is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return WebsocketCommunicator(application, f"/ws/accounts/{account_id}/balance", headers=headers)


def _connect(account_id: str, session: str | None = None) -> tuple[bool, int | None]:
    async def scenario():
        communicator = _socket(account_id, session)
        connected, code = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return connected, code

    return async_to_sync(scenario)()


def test_posting_pushes_the_new_balance_to_a_verified_teller():
    teller = otp_login(Client(), make_staff("watcher", "teller"))
    account = funded_account("10.00")

    async def scenario():
        communicator = _socket(account.public_id, _session(teller))
        connected, _ = await communicator.connect()
        assert connected
        result = await database_sync_to_async(post_deposit)(to_account=account.public_id, amount="2.50", currency="USD")
        # Updates are fire-and-forget, so the opening deposit's own update may still arrive first: read on
        # until ours comes (each message is a real update for this account).
        while True:
            message = await communicator.receive_json_from(timeout=10)
            assert message["account"] == account.public_id
            if message["transaction"] == result.entry.public_id:
                break
        await communicator.disconnect()
        return result.entry.public_id, message

    entry_id, message = async_to_sync(scenario)()
    assert message == {"account": account.public_id, "transaction": entry_id, "balance": "12.50", "currency": "USD"}


def test_password_only_session_is_refused():
    """The password step alone reaches no portal page, so it reaches no socket either."""
    user = make_staff("halfway", "teller")
    enrol_totp(user)
    client = Client()
    assert password_login(client, "halfway").status_code == 302
    assert client.get(f"/accounts/{funded_account('1.00').public_id}/").status_code == 302  # sent to /mfa/verify/
    assert _connect(funded_account("1.00").public_id, _session(client)) == (False, 4403)


def test_verified_staff_without_a_role_is_refused():
    client = otp_login(Client(), make_staff("norole"))
    account = funded_account("1.00")
    assert client.get(f"/accounts/{account.public_id}/").status_code == 403  # the page refuses too
    assert _connect(account.public_id, _session(client)) == (False, 4403)


def test_unknown_account_is_refused():
    client = otp_login(Client(), make_staff("watcher", "auditor"))
    assert _connect("acc_doesnotexist", _session(client)) == (False, 4404)
    assert _connect("not a valid group name at all " * 5, _session(client)) == (False, 4404)


def test_anonymous_websocket_is_refused():
    assert _connect(funded_account("1.00").public_id) == (False, 4403)


def test_signed_out_session_is_refused():
    client = otp_login(Client(), make_staff("leaver", "teller"))
    account = funded_account("1.00")
    stale = _session(client)  # the cookie a browser tab still holds
    assert _connect(account.public_id, stale)[0] is True
    client.post("/logout/")
    assert _connect(account.public_id, stale) == (False, 4403)


def _update_after(client: Client, account, change) -> dict:
    """Open a socket as ``client``, run ``change()``, post a deposit; return what the socket got next."""

    async def scenario():
        communicator = _socket(account.public_id, _session(client))
        connected, _ = await communicator.connect()
        assert connected
        await database_sync_to_async(change)()
        result = await database_sync_to_async(post_deposit)(to_account=account.public_id, amount="1.00", currency="USD")
        while True:
            output = await communicator.receive_output(timeout=10)
            if output["type"] == "websocket.close" or result.entry.public_id in output.get("text", ""):
                await communicator.disconnect()
                return output

    return async_to_sync(scenario)()


def test_an_open_socket_stops_when_the_session_signs_out(settings):
    settings.QENEX_WS_REVALIDATE_SECONDS = 0
    client = otp_login(Client(), make_staff("leaver", "teller"))
    output = _update_after(client, funded_account("1.00"), lambda: client.post("/logout/"))
    assert output == {"type": "websocket.close", "code": 4403}


def test_an_open_socket_stops_when_the_role_is_removed(settings):
    settings.QENEX_WS_REVALIDATE_SECONDS = 0
    user = make_staff("moved", "teller")
    client = otp_login(Client(), user)
    output = _update_after(client, funded_account("1.00"), lambda: user.groups.clear())
    assert output == {"type": "websocket.close", "code": 4403}


def test_an_open_socket_keeps_receiving_while_allowed(settings):
    settings.QENEX_WS_REVALIDATE_SECONDS = 0
    client = otp_login(Client(), make_staff("stayer", "teller"))
    output = _update_after(client, funded_account("1.00"), lambda: None)
    assert output["type"] == "websocket.send"

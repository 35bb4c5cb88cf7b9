"""Live balance updates: a posting reaches a staff WebSocket through the channel layer (Redis in CI)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from apps.ledger.routing import websocket_urlpatterns
from apps.ledger.services import post_deposit
from tests.factories import funded_account

pytestmark = pytest.mark.django_db(transaction=True)


def _communicator(account_id: str, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/accounts/{account_id}/balance")
    communicator.scope["user"] = user
    return communicator


def test_posting_pushes_the_new_balance_to_subscribed_staff():
    staff = get_user_model().objects.create_user("watcher", password="a-long-password-123", is_staff=True)
    account = funded_account("10.00")

    async def scenario():
        communicator = _communicator(account.public_id, staff)
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


def test_anonymous_websocket_is_refused():
    async def scenario():
        communicator = _communicator("acc_any", AnonymousUser())
        connected, code = await communicator.connect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)

"""WebSocket: live balance updates for one account, to whom the account page would show them.

``scope["user"]`` is already OTP-verified or anonymous (``apps.access.websocket``). The socket then asks what
``apps.portal.views.account_detail`` asks: a staff user holding ``accounts.view_account``, and an account that
exists. A refused socket is closed before it joins any group: 4403 not allowed, 4404 no such account. An open
socket asks again before an update (at most every ``QENEX_WS_REVALIDATE_SECONDS``) and closes with 4403 once
the session has ended or the permission is gone.
"""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.access.websocket import verified_user_again
from apps.accounts import selectors as account_selectors
from apps.core.errors import NotFound

from .events import balance_group

# The permission of the page that shows an account's balance (apps.portal.views.account_detail).
VIEW_BALANCE_PERMISSION = "accounts.view_account"

CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404


def _may_view_balances(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff and user.has_perm(VIEW_BALANCE_PERMISSION))


def _existing_account_id(account_id: str) -> str | None:
    try:
        return account_selectors.account_get(public_id=account_id).public_id
    except NotFound:
        return None


class BalanceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        if not await database_sync_to_async(_may_view_balances)(self.scope.get("user")):
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        account_id = await database_sync_to_async(_existing_account_id)(self.scope["url_route"]["kwargs"]["account_id"])
        if account_id is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = balance_group(account_id)
        self.checked_at = time.monotonic()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def balance_update(self, event):
        # The socket outlives the handshake: before sending, at most every REVALIDATE_SECONDS, ask again, so
        # signing out, session expiry or a removed role stops the updates.
        now = time.monotonic()
        if now - self.checked_at >= settings.QENEX_WS_REVALIDATE_SECONDS:
            user = await verified_user_again(self.scope)
            if not await database_sync_to_async(_may_view_balances)(user):
                await self.close(code=CLOSE_NOT_ALLOWED)
                return
            self.checked_at = now
        await self.send_json({k: v for k, v in event.items() if k != "type"})

"""WebSocket: the dashboard's figures, live. ``/ws/portal/dashboard``.

Who may listen is who may open the dashboard (a verified staff session holding ``accounts.view_account``;
4403 otherwise), asked again at most every ``QENEX_WS_REVALIDATE_SECONDS``. The summary is recomputed every
``QENEX_PORTAL_DASHBOARD_POLL_SECONDS`` (default 2) and sent only when it changed: a handful of aggregate
queries per open dashboard, and it sees every source of change (postings by any path, payments moving on a
worker, holds expiring, approvals decided) without any of them having to publish anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.access.websocket import verified_user_again

from .selectors import dashboard_summary

CLOSE_NOT_ALLOWED = 4403
VIEW_PERMISSION = "accounts.view_account"


def _may_view(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff and user.has_perm(VIEW_PERMISSION))


def poll_seconds() -> float:
    return float(getattr(settings, "QENEX_PORTAL_DASHBOARD_POLL_SECONDS", 2))


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        if not await database_sync_to_async(_may_view)(self.scope.get("user")):
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        await self.accept()
        self.checked_at = time.monotonic()
        self.loop_task = asyncio.create_task(self._watch())

    async def disconnect(self, code):
        task = getattr(self, "loop_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        last = None
        while True:
            now = time.monotonic()
            if now - self.checked_at >= settings.QENEX_WS_REVALIDATE_SECONDS:
                user = await verified_user_again(self.scope)
                if not await database_sync_to_async(_may_view)(user):
                    await self.close(code=CLOSE_NOT_ALLOWED)
                    return
                self.checked_at = now
            summary = await database_sync_to_async(dashboard_summary)()
            if summary != last:
                await self.send_json(summary)
                last = summary
            await asyncio.sleep(poll_seconds())

"""WebSocket: live balance updates for one account (staff users only)."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import balance_group


class BalanceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.close(code=4403)
            return
        self.group = balance_group(self.scope["url_route"]["kwargs"]["account_id"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def balance_update(self, event):
        await self.send_json({k: v for k, v in event.items() if k != "type"})

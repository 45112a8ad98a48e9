"""Realtime notifications over ``ws/notifications/`` (JWT ``?token=`` or session, by the ASGI middleware).

Server → client frames:
- ``{"type": "unread_count", "unread_count": n}`` on connect and whenever the count changes
  (mark-read or delete elsewhere, e.g. in another tab);
- ``{"type": "notification", "notification": {...same shape as the list API...}, "unread_count": n}``;
- ``{"type": "pong"}`` and ``{"type": "error", "code", "detail"}``.
Client → server: ``{"type": "ping"}``, ``{"type": "mark_read", "ids": [...]}`` or ``{"type": "mark_read", "all": true}``.
Anonymous (or an invalid token) → the socket is accepted and closed at once with code 4401, so
browsers can see why.
"""

import contextlib

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from notifications import selectors, services
from notifications.realtime import user_group
from socialflow.core import jsonsafe

CLOSE_UNAUTHENTICATED = 4401
MAX_IDS = 500
MAX_ID = 2**63 - 1


@database_sync_to_async
def _unread_count(user_id: int) -> int:
    return selectors.unread_count(user_id=user_id)


@database_sync_to_async
def _mark_read(user, ids: list[int] | None, all_: bool) -> int:
    return services.notifications_mark_read(user=user, ids=ids, all=all_)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "unread_count", "unread_count": await _unread_count(user.pk)})

    async def __call__(self, scope, receive, send):
        async def send_or_drop(message):
            # uvicorn's ClientDisconnected: the client closed while a push was on its way. Drop
            # it; the websocket.disconnect that follows runs disconnect(). Raising killed the
            # consumer first, leaving its channel in the user's group.
            with contextlib.suppress(OSError):
                await send(message)

        await super().__call__(scope, receive, send_or_drop)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "mark_read":
            ids = content.get("ids")
            mark_all = content.get("all") is True
            valid_ids = isinstance(ids, list) and 0 < len(ids) <= MAX_IDS and all(isinstance(i, int | str) for i in ids)
            if not mark_all and not valid_ids:
                await self.send_error("invalid", "mark_read needs ids (a list of up to 500 ids) or all: true.")
                return
            try:
                parsed = None if mark_all else [int(i) for i in ids]
            except ValueError:
                parsed = []
            if parsed is not None and not all(0 < i < MAX_ID for i in parsed):
                await self.send_error("invalid", "Ids must be positive numbers.")
                return
            await _mark_read(self.user, parsed, mark_all)
            # The count frame arrives through the group push made after commit.
        else:
            await self.send_error("unknown_type", 'Send {"type": "ping"} or {"type": "mark_read", ...}.')

    async def send_error(self, code: str, detail: str):
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Channels' own decoding raises (a binary frame, or a RecursionError on deep nesting) and
        # that kills the consumer with no close code; a bad frame is an error frame instead.
        if text_data is None:
            await self.send_error("invalid", "Send JSON text frames.")
            return
        try:
            content = jsonsafe.loads(text_data)
        except jsonsafe.JSONError:
            await self.send_error("invalid", "The frame is not valid JSON (or nests too deep).")
            return
        await self.receive_json(content)

    # Group events from notifications.realtime.

    async def notification_push(self, event):
        await self.send_json(
            {"type": "notification", "notification": event["notification"], "unread_count": event["unread_count"]}
        )

    async def unread_count(self, event):
        await self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})

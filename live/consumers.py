"""Live chat over websockets: ``ws/live/<stream_id>/chat/``.

Thin: authenticate (JWT from ``?token=`` or the session, done by the ASGI middleware), call
``live.services`` for every write, and publish room events. Anonymous viewers read; only signed-in
users write. A refusal is an ``error`` frame and the socket stays open. Room events reach the
socket through this process's room hub (``live.lib.hub``), not through a channel layer: no
consumer task wakes up, and nothing is decoded or encoded, per socket per message.
"""

import asyncio
import contextlib
import json
import time
import uuid

from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from live import selectors, services
from live.lib import presence
from live.lib.broadcast import room_frame
from live.lib.hub import hub
from live.services.chat import message_payload
from socialflow.core import jsonsafe
from socialflow.websocket_send import FRAME_SEND

# stream id -> its announcer task while this process has sockets in the room.
_announcers: dict[int, asyncio.Task] = {}
TOUCH_EVERY_S = 5.0
MAX_ID_DIGITS = 18  # a bigint primary key; longer ids cannot exist (and would overflow the query)


@database_sync_to_async
def _stream_visible(stream_id: int, viewer) -> bool:
    return selectors.stream_visible(stream_id=stream_id, viewer=viewer)


def _send_message_sync(stream_id: int, user, text) -> dict:
    message = services.chat_message_send(stream_id=stream_id, user=user, text=text, broadcast=False)
    return message_payload(message)


# Sends run in the thread pool rather than the single thread-sensitive thread, so one slow
# database write does not queue every other room's messages behind it.
_send_message = DatabaseSyncToAsync(_send_message_sync, thread_sensitive=False)


@database_sync_to_async
def _record_viewers(stream_id: int, count: int) -> None:
    services.stream_viewers_record(stream_id=stream_id, count=count)


@database_sync_to_async
def _add_watch_time(stream_id: int, ms: int) -> None:
    services.stream_watch_time_add(stream_id=stream_id, ms=ms)


async def _announce(stream_id: int) -> None:
    """Push the viewer count to the room when it changes, at most every LIVE_VIEWERS_PUSH_INTERVAL_S."""
    last = None
    interval = float(settings.LIVE_VIEWERS_PUSH_INTERVAL_S)
    rooms = hub()
    while rooms.listening(stream_id):
        await asyncio.sleep(interval)
        if not rooms.listening(stream_id):
            break
        count = await presence.count(stream_id=stream_id)
        if count != last and await presence.claim_announcer(stream_id=stream_id, interval_s=interval):
            last = count
            await rooms.publish(stream_id, room_frame({"type": "viewers", "count": count}))
            await _record_viewers(stream_id, count)


class LiveChatConsumer(AsyncJsonWebsocketConsumer):
    channel_layer_alias = None  # no channel layer: the room hub delivers room events

    async def connect(self):
        self.joined = False
        raw_id = self.scope["url_route"]["kwargs"]["stream_id"]
        self.stream_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= MAX_ID_DIGITS else None
        if self.stream_id is None or not await _stream_visible(self.stream_id, self.scope.get("user")):
            # Accept first: a close before accept is an HTTP 403 on the handshake, and a real client
            # (browser, mobile) would never see the 4404 that says "no such stream".
            await self.accept()
            await self.close(code=4404)
            return
        self.user = self.scope.get("user")
        self.conn_id = uuid.uuid4().hex  # this connection in the room's presence set
        # Accepted before joining: the hub may write a room frame as soon as it has the socket. A
        # Redis that cannot subscribe raises here and the socket is closed with 1013
        # (socialflow.unavailable).
        await self.accept()
        # Room frames skip the middlewares' per-message work (socialflow.websocket_send).
        self.listener = await hub().join(self.stream_id, self.scope.get(FRAME_SEND) or self.base_send)
        self.joined = True
        self.connected_at = time.monotonic()
        self.last_touch = time.monotonic()
        if self.scope.get("token_invalid"):
            await self.send_error(
                "token_invalid", "The access token is invalid or expired; you are reading anonymously."
            )
        await presence.touch(stream_id=self.stream_id, conn_id=self.conn_id)
        task = _announcers.get(self.stream_id)
        if task is None or task.done():
            _announcers[self.stream_id] = asyncio.create_task(_announce(self.stream_id))
        await self.send_json({"type": "viewers", "count": await presence.count(stream_id=self.stream_id)})

    async def __call__(self, scope, receive, send):
        async def send_or_drop(message):
            # uvicorn's ClientDisconnected: the client closed while a frame was on its way (its
            # own reply, or a room message racing the close). Drop the frame; the
            # websocket.disconnect that follows runs disconnect(). Raising killed the consumer
            # before that, so it kept counting as a viewer and stayed in the room for good.
            with contextlib.suppress(OSError):
                await send(message)

        try:
            await super().__call__(scope, receive, send_or_drop)
        finally:
            # Whatever else ends this consumer (an unexpected error, a server shutdown), it must not
            # keep counting as a viewer. A no-op after a normal disconnect().
            await asyncio.shield(self.disconnect(None))

    async def disconnect(self, code):
        if not getattr(self, "joined", False):
            return
        self.joined = False
        rooms = hub()
        rooms.leave(self.stream_id, self.listener)
        if not rooms.listening(self.stream_id):
            task = _announcers.pop(self.stream_id, None)
            if task is not None:
                task.cancel()
        await presence.leave(stream_id=self.stream_id, conn_id=self.conn_id)
        await _add_watch_time(self.stream_id, int((time.monotonic() - self.connected_at) * 1000))

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_error("invalid", "Send JSON text frames.")
            return
        try:
            # Bounded depth and strict Unicode: a deeply nested frame or a lone surrogate is refused
            # here, not a RecursionError (or an unencodable echo) that kills the socket.
            content = jsonsafe.loads(text_data)
        except jsonsafe.JSONError:
            await self.send_error("invalid_json", "The frame is not valid JSON (or nests too deep).")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        # Any frame counts as a sign of life (presence); a ping carries nothing else.
        now = time.monotonic()
        if now - self.last_touch >= TOUCH_EVERY_S:
            self.last_touch = now
            await presence.touch(stream_id=self.stream_id, conn_id=self.conn_id)
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            return
        if kind != "chat.send":
            await self.send_error("unknown_type", 'Frames are {"type": "chat.send", "text": ...} or ping.')
            return
        if self.user is None or not self.user.is_authenticated:
            await self.send_error("auth_required", "Sign in to chat.")
            return
        try:
            frame = await _send_message(self.stream_id, self.user, content.get("text"))
        except services.ChatRefused as refusal:
            await self.send_error(refusal.code, refusal.detail)
            return
        # Persisted and committed: now the whole room (every process) gets it.
        await hub().publish(self.stream_id, room_frame(frame))

    async def send_error(self, code: str, detail: str):
        await self.send_json({"type": "error", "code": code, "detail": detail})

    @classmethod
    async def encode_json(cls, content):
        return json.dumps(content, separators=(",", ":"))

"""The per-process chat room hub: one Redis pub/sub subscription, one decode, many local sockets.

A room event is published once, as the client frame's JSON text, on the room's Redis channel
(``room_channel``), by whichever process makes it: a chat consumer (``publish``) or a service after
commit (``live.lib.broadcast``). Each ASGI process keeps one hub per event loop with one pub/sub
connection, subscribed to the rooms that have a socket in this process; each message is read once
and its text handed to every local socket of the room. Nothing is decoded or encoded per socket,
and no consumer task wakes up for a room message (Channels' layer did both for every socket).

Each socket is a ``Listener``: a bounded backlog and one writer task that drains it in order. A
socket whose client stops reading (its send waits on the server's full write buffer) piles up at
most ``LIVE_CHAT_SOCKET_BACKLOG`` frames, then leaves the room and is closed with 1013 ("try again
later"); the room never waits for it. If the subscription breaks (Redis down), every local socket
is closed with 1013 the same way: a client reconnects, and is refused with 1013 until Redis is back,
instead of sitting in a room that no longer hears anything.
"""

import asyncio
import contextlib
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

logger = logging.getLogger(__name__)

TRY_AGAIN_LATER = 1013
Send = Callable[[dict], Awaitable[None]]


def room_channel(stream_id: int) -> str:
    """The Redis channel of a room; the prefix carries the database number (pub/sub ignores it)."""
    return f"{settings.LIVE_CHAT_CHANNEL_PREFIX}:room:{stream_id}"


class Listener:
    """One local socket of a room: its frames in order, at most ``limit`` waiting.

    A frame is written at once, from the hub's own task: the server's send returns without
    suspending unless the socket's write buffer is full, so a room message costs no task wake-up
    per socket. A send that does suspend is finished by a task of this socket, which then drains
    what queued up meanwhile.
    """

    __slots__ = ("_send", "_backlog", "_limit", "_writer", "closed")

    def __init__(self, send: Send, *, limit: int):
        self._send = send
        self._backlog: deque[str] = deque()
        self._limit = limit
        self._writer: asyncio.Task | None = None  # while a send waits for the transport
        self.closed = False

    def push(self, text: str) -> bool:
        """Write or queue a frame; False when the backlog is full (the client is not keeping up)."""
        if self.closed:
            return True
        if self._writer is not None:
            if len(self._backlog) >= self._limit:
                return False
            self._backlog.append(text)
            return True
        sending = self._send({"type": "websocket.send", "text": text})
        try:
            waiting_on = sending.send(None)
        except StopIteration:
            return True
        except Exception:
            self._gone()
            return True
        self._writer = asyncio.get_running_loop().create_task(self._finish(sending, waiting_on))
        return True

    async def _finish(self, sending, waiting_on) -> None:
        try:
            await _Resumed(sending, waiting_on)
            while self._backlog:
                await self._send({"type": "websocket.send", "text": self._backlog.popleft()})
        except Exception:
            self._gone()
        finally:
            self._writer = None

    def _gone(self) -> None:
        # The socket is closing under us (the server refuses sends after a close): its consumer's
        # disconnect takes it out of the room.
        self.closed = True
        self._backlog.clear()

    def stop(self) -> None:
        """Stop writing (the socket left the room); frames still queued are dropped."""
        self._gone()
        if self._writer is not None:
            self._writer.cancel()

    def close(self, *, reason: str) -> asyncio.Task:
        """Stop writing and close the socket with 1013; the consumer's disconnect then runs as usual."""
        self.stop()
        # The close waits for the transport like any send: a client that reads nothing is let go by
        # the server's keepalive (its pongs never come), which ends the wait.
        return asyncio.get_running_loop().create_task(self._send_close(reason))

    async def _send_close(self, reason: str) -> None:
        # A client already gone (the server raises ClientDisconnected) needs no close.
        with contextlib.suppress(OSError):
            await self._send({"type": "websocket.close", "code": TRY_AGAIN_LATER, "reason": reason})


class _Resumed:
    """Awaits the rest of a coroutine started by hand (``coroutine.send(None)``) that suspended on
    ``waiting_on``: what ``await`` would have done had a task started it. The awaiting task waits
    for each future the coroutine yields and resumes it (or throws a cancellation into it)."""

    __slots__ = ("_coroutine", "_waiting_on")

    def __init__(self, coroutine, waiting_on):
        self._coroutine = coroutine
        self._waiting_on = waiting_on

    def __await__(self):
        coroutine, waiting_on = self._coroutine, self._waiting_on
        while True:
            try:
                yield waiting_on
            except BaseException as exc:
                try:
                    waiting_on = coroutine.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting_on = coroutine.send(None)
            except StopIteration:
                return


class RoomHub:
    """The rooms with a socket in this process (one event loop), and their subscription."""

    def __init__(self):
        self.rooms: dict[int, set[Listener]] = {}
        self._streams: dict[bytes, int] = {}  # subscribed channel -> stream id
        self._lock = asyncio.Lock()  # SUBSCRIBE/UNSUBSCRIBE go out in the order rooms change
        self._subscriber: aioredis.Redis | None = None
        self._publisher: aioredis.Redis | None = None
        self._pubsub = None
        self._reader: asyncio.Task | None = None
        self._closing: set[asyncio.Task] = set()

    def listening(self, stream_id: int) -> bool:
        return bool(self.rooms.get(stream_id))

    async def join(self, stream_id: int, send: Send) -> Listener:
        """Add a socket to a room, subscribing this process to it first if it is the room's first.

        Raises a Redis error when the subscription cannot be made (the caller closes with 1013)."""
        listener = Listener(send, limit=settings.LIVE_CHAT_SOCKET_BACKLOG)
        self.rooms.setdefault(stream_id, set()).add(listener)
        try:
            await self._sync_subscription(stream_id)
        except BaseException:
            self.leave(stream_id, listener)
            raise
        return listener

    def leave(self, stream_id: int, listener: Listener) -> None:
        """Remove a socket from its room; the last one out unsubscribes (in the background)."""
        listener.stop()
        room = self.rooms.get(stream_id)
        if room is None:
            return
        room.discard(listener)
        if not room:
            del self.rooms[stream_id]
            self._background(self._sync_subscription(stream_id))

    async def publish(self, stream_id: int, text: str) -> None:
        """Send a frame to the room in every process (this one included, through Redis)."""
        if self._publisher is None:
            # A few connections that publishes wait their turn for, not one per concurrent sender:
            # under a burst (or a starved event loop) a publish waits rather than fails. Each one is
            # still bounded by the socket timeout (a frozen Redis drains the queue), with one
            # immediate retry on a connection error: after a Redis restart the pooled one is dead.
            pool = aioredis.BlockingConnectionPool.from_url(
                settings.REDIS_URL,
                max_connections=8,
                timeout=None,
                socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_S,
                socket_timeout=settings.REDIS_SOCKET_TIMEOUT_S,
            )
            retry = AsyncRetry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
            self._publisher = aioredis.Redis(connection_pool=pool, retry=retry)
        await self._publisher.publish(room_channel(stream_id), text)

    async def _sync_subscription(self, stream_id: int) -> None:
        channel = room_channel(stream_id).encode()
        async with self._lock:
            wanted, subscribed = stream_id in self.rooms, channel in self._streams
            if wanted and not subscribed:
                if self._pubsub is None:
                    self._pubsub = self._subscriber_client().pubsub()
                await self._pubsub.subscribe(channel)
                self._streams[channel] = stream_id
                if self._reader is None:
                    self._reader = asyncio.get_running_loop().create_task(self._read(self._pubsub))
            elif subscribed and not wanted:
                del self._streams[channel]
                if self._streams:
                    await self._pubsub.unsubscribe(channel)
                else:
                    await _close(*self._detach())

    async def _read(self, pubsub) -> None:
        # The subscription has no socket timeout (quiet rooms are normal), so a Redis that stops
        # answering without closing the connection (frozen, a dead peer behind a NAT) is noticed
        # here: after a quiet LIVE_CHAT_SUBSCRIPTION_CHECK_S it is sent a PING, and a PING without
        # a PONG within as long again is a lost subscription.
        check_s = settings.LIVE_CHAT_SUBSCRIPTION_CHECK_S
        loop = asyncio.get_running_loop()
        heard, pinged = loop.time(), None
        try:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=check_s)
                now = loop.time()
                if message is not None:
                    heard, pinged = now, None
                    if message["type"] == "message":
                        self._deliver(message["channel"], message["data"])
                elif pinged is not None:
                    if now - pinged >= check_s:
                        raise TimeoutError(f"no answer to a PING in {check_s:g} s")
                elif now - heard >= check_s:
                    await asyncio.wait_for(pubsub.ping(), timeout=check_s)
                    pinged = now
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Redis went away (or the connection broke): nothing more arrives for these rooms.
            logger.warning("live: chat subscription lost (%s: %s); closing local sockets", type(exc).__name__, exc)
            self._fail()

    def _deliver(self, channel: bytes, data: bytes) -> None:
        room = self.rooms.get(self._streams.get(channel, -1))
        if not room:
            return
        text = data.decode()
        too_slow = [listener for listener in room if not listener.push(text)]
        for listener in too_slow:
            room.discard(listener)
            self._closing_task(listener.close(reason="too slow"))
        if too_slow:
            logger.warning("live: closed %d chat sockets that fell behind", len(too_slow))

    def _fail(self) -> None:
        rooms, self.rooms = self.rooms, {}
        self._streams.clear()
        for room in rooms.values():
            for listener in room:
                self._closing_task(listener.close(reason="unavailable"))
        self._background(_close(*self._detach()))

    def _detach(self) -> tuple[asyncio.Task | None, object]:
        """Forget the subscription at once (the next join makes a new one); close it later."""
        reader, self._reader = self._reader, None
        pubsub, self._pubsub = self._pubsub, None
        return reader, pubsub

    def _subscriber_client(self) -> aioredis.Redis:
        if self._subscriber is None:
            # No socket timeout: the subscription idles for as long as the rooms are quiet.
            self._subscriber = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_S, socket_timeout=None
            )
        return self._subscriber

    def _closing_task(self, task: asyncio.Task) -> None:
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _background(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._closing_task(task)
        task.add_done_callback(_log_failure)


async def _close(reader: asyncio.Task | None, pubsub) -> None:
    if reader is not None and reader is not asyncio.current_task():
        reader.cancel()
    if pubsub is not None:
        # A broken connection has nothing left to close cleanly.
        with contextlib.suppress(Exception):
            await pubsub.aclose()


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("live: chat subscription change failed: %r", task.exception())


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomHub]" = weakref.WeakKeyDictionary()


def hub() -> RoomHub:
    """This event loop's hub (one per ASGI process; tests get a fresh one with each loop)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = RoomHub()
    return found

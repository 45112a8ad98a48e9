"""An asyncio Redis client for the lean ASGI paths: one per event loop, pipelining by itself.

Calls made while another batch is on the wire are sent together, as one write and one read of the
replies in order (pipelining, on one pooled connection): under load a round trip carries dozens of
calls instead of one, and each costs a few microseconds of packing instead of redis-py's
per-command machinery. Replies come back raw (bytes, integers, lists); a call's own error
(``NOSCRIPT``, ``OOM``) is its reply, and a connection failure is raised to every caller of the
batch (``socialflow.redis.REDIS_DOWN_ERRORS``: the caller hands the request to Django, and
:meth:`BatchingRedis.trip` marks the server down for the whole process).
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from urllib.parse import urlsplit

import redis
import redis.asyncio as aioredis
from django.conf import settings

from socialflow.redis import breaker

_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loop -> {class: client}


def _address(url: str) -> str:
    """The breaker's name for the server of ``url`` (what the synchronous clients call it)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def pack(*parts) -> bytes:
    """One command in RESP (what redis-py's packer produces, without its per-argument overhead)."""
    chunks = [b"*%d\r\n" % len(parts)]
    for part in parts:
        if not isinstance(part, bytes):
            part = str(part).encode()
        chunks.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(chunks)


def script_sha(lua: str) -> bytes:
    return hashlib.sha1(lua.encode(), usedforsecurity=False).hexdigest().encode()


class BatchingRedis:
    MAX_BATCH = 256

    def __init__(self, url: str):
        self.url = url
        self.address = _address(url)
        self.client = aioredis.Redis.from_url(
            url,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT_S,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_S,
        )
        self._queue: list[tuple[bytes, asyncio.Future]] = []
        self._sending = False
        self._sender: asyncio.Task | None = None  # held: the loop keeps only a weak reference

    @classmethod
    def for_loop(cls, loop):
        """This loop's client (``None`` without ``REDIS_URL``): a client is bound to one loop."""
        url = settings.REDIS_URL
        if not url:
            return None
        mine = _clients.setdefault(loop, {})
        client = mine.get(cls)
        if client is None or client.url != url:
            client = mine[cls] = cls(url)
        return client

    def trip(self, error: BaseException) -> None:
        """Mark the server down for every client of the process (the synchronous breaker)."""
        breaker.trip(self.address, error)

    async def call_many(self, commands: list[bytes]) -> list:
        """The replies of ``commands``, sent in order in the same write."""
        loop = asyncio.get_running_loop()
        futures = []
        for packed in commands:
            future = loop.create_future()
            self._queue.append((packed, future))
            futures.append(future)
        if not self._sending:
            self._sending = True
            self._sender = loop.create_task(self._drain())
        return [await future for future in futures]

    async def call_script(self, lua: str, sha: bytes, *args, then: list[bytes] = ()) -> list:
        """``EVALSHA sha *args`` and the commands ``then``, in one write; the script loaded and
        everything sent again if the server does not know it (first use, a restarted server)."""
        commands = [pack(b"EVALSHA", sha, *args), *then]
        replies = await self.call_many(commands)
        if isinstance(replies[0], redis.exceptions.NoScriptError):
            await self.client.script_load(lua)
            replies = await self.call_many(commands)
        return replies

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.MAX_BATCH], self._queue[self.MAX_BATCH :]
                await self._send(batch)
        finally:
            self._sending = False

    async def _send(self, batch: list[tuple[bytes, asyncio.Future]]) -> None:
        pool = self.client.connection_pool
        try:
            connection = await pool.get_connection()
        except Exception as exc:  # handed to each caller, which decides (REDIS_DOWN_ERRORS: Django)
            _fail(batch, exc)
            return
        try:
            await connection.send_packed_command(b"".join(packed for packed, _ in batch))
            for _, future in batch:
                try:
                    reply = await connection.read_response()
                except redis.ResponseError as exc:  # this call's own error (NOSCRIPT, OOM): the rest follow
                    reply = exc
                if not future.done():
                    future.set_result(reply)
        except Exception as exc:
            _fail(batch, exc)
        finally:
            await pool.release(connection)


def _fail(batch, exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)

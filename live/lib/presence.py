"""Viewer presence: which connections watched a stream recently, counted across processes.

With Redis: one sorted set per stream, members are connection ids scored by last-seen time; a
connection silent for ``LIVE_VIEWER_TIMEOUT_S`` no longer counts. Without Redis the same structure
lives in this process (the embedded mode has one ASGI process).
"""

import asyncio
import time
import weakref

import redis.asyncio as aioredis
from django.conf import settings

_local: dict[int, dict[str, float]] = {}
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis]" = weakref.WeakKeyDictionary()


def _key(stream_id: int) -> str:
    return f"live:viewers:{stream_id}"


def _client() -> aioredis.Redis | None:
    if not settings.REDIS_URL:
        return None
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        # A bounded pool that waits rather than fails: connect/disconnect storms of thousands of
        # sockets share a few connections instead of opening one each.
        pool = aioredis.BlockingConnectionPool.from_url(settings.REDIS_URL, max_connections=32, timeout=20)
        client = aioredis.Redis(connection_pool=pool)
        _clients[loop] = client
    return client


def _timeout() -> float:
    return float(settings.LIVE_VIEWER_TIMEOUT_S)


async def touch(*, stream_id: int, conn_id: str) -> None:
    now = time.time()
    client = _client()
    if client is None:
        _local.setdefault(stream_id, {})[conn_id] = now
        return
    async with client.pipeline(transaction=False) as pipe:
        pipe.zadd(_key(stream_id), {conn_id: now})
        pipe.expire(_key(stream_id), int(_timeout() * 2) + 1)
        await pipe.execute()


async def leave(*, stream_id: int, conn_id: str) -> None:
    client = _client()
    if client is None:
        _local.get(stream_id, {}).pop(conn_id, None)
        return
    await client.zrem(_key(stream_id), conn_id)


async def count(*, stream_id: int) -> int:
    cutoff = time.time() - _timeout()
    client = _client()
    if client is None:
        members = _local.get(stream_id, {})
        for conn_id in [c for c, seen in members.items() if seen < cutoff]:
            members.pop(conn_id, None)
        return len(members)
    async with client.pipeline(transaction=False) as pipe:
        pipe.zremrangebyscore(_key(stream_id), "-inf", cutoff)
        pipe.zcard(_key(stream_id))
        _, total = await pipe.execute()
    return int(total)


async def claim_announcer(*, stream_id: int, interval_s: float) -> bool:
    """One process per interval pushes the count (all would compute the same number)."""
    client = _client()
    if client is None:
        return True
    return bool(await client.set(f"live:viewers:announce:{stream_id}", "1", nx=True, px=max(1, int(interval_s * 1000))))

"""Watch heartbeats in Redis: the per-session state, one atomic script per heartbeat, batched flushes.

``view_start`` writes the session's state to a Redis hash (``SESSION_PREFIX`` + view id: video,
viewer key, start time, watched time so far, the counting threshold, whether it counted). The lean
ASGI path (``videos.api.heartbeat_app``) then answers a heartbeat with one script call that checks
the request throttle, checks the session belongs to this video and viewer, raises the watched time
monotonically (clamped to what is plausible, as ``view_heartbeat`` does) and appends a record to
``RECORDS_KEY``. The record carries the session's new *total* watched time, not an increment: the
flush (``videos.services.view_heartbeats_flush``) turns totals into increments against the
database row, so a heartbeat answered by Django while Redis was down, or applied twice, never adds
the same watch time twice (the sum of the increments is always ``VideoView.watched_ms``).

The flush renames the list to a flush token and applies it in one transaction that records the
token (``CounterFlush``), as ``videos.counters`` does: a crash after the commit only leaves the key
to delete, one before it leaves the key to apply next time. Redis keeps the list across a restart
(append-only file), so an accepted heartbeat is never lost.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction

from socialflow.cache import fallback_cache
from socialflow.redis import REDIS_DOWN_ERRORS, get_redis, redis_marked_down
from socialflow.redis_batch import BatchingRedis, script_sha
from videos.models import CounterFlush

logger = logging.getLogger(__name__)

SESSION_PREFIX = "sf:videos:watch:session:"
RECORDS_KEY = "sf:videos:watch:records"
FLUSHING_PREFIX = "sf:videos:watch:flushing:"
THROTTLE_PREFIX = "sf:videos:watch:throttle:"
FLUSH_LOCK = "videos:watch:flush-lock"
FLUSH_CHUNK = 5000
# Counted states of a session: not yet decided, counted, or decided against (another session of
# the same viewer counted within the dedup window): only the first crossing asks the database.
NOT_DECIDED, COUNTED, NOT_COUNTED = 0, 1, 2

# KEYS: session, records list, throttle counter.
# ARGV: video id, viewer key, now (ms), reported watched ms, record prefix, throttle limit,
#       throttle window (s), session ttl (ms), speed slack, grace (ms).
# Returns {-1} throttled, {0} no session, {-2} not this video's / viewer's session,
# {1, watched, counted state, due} recorded (due: crossed the threshold, counting not decided).
_HEARTBEAT_LUA = """
local hits = redis.call('INCR', KEYS[3])
if hits == 1 then redis.call('EXPIRE', KEYS[3], ARGV[7]) end
if hits > tonumber(ARGV[6]) then return {-1} end
local s = redis.call('HMGET', KEYS[1], 'v', 'k', 'c', 'w', 't', 'n')
if not s[1] then return {0} end
if s[1] ~= ARGV[1] or s[2] ~= ARGV[2] then return {-2} end
local elapsed = math.max(0, tonumber(ARGV[3]) - tonumber(s[3]))
local plausible = elapsed * tonumber(ARGV[9]) + tonumber(ARGV[10])
local watched = math.max(tonumber(s[4]), math.min(tonumber(ARGV[4]), plausible))
local text = string.format('%d', watched)
redis.call('HSET', KEYS[1], 'w', text)
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('RPUSH', KEYS[2], ARGV[5] .. text .. '}')
local state = tonumber(s[6])
local due = 0
if state == 0 and watched >= tonumber(s[5]) then due = 1 end
return {1, watched, state, due}
"""


@dataclass(frozen=True)
class Heartbeat:
    outcome: str  # "recorded", "throttled", "no_session", "not_yours"
    watched_ms: int = 0
    counted_state: int = NOT_DECIDED
    due: bool = False


def session_key(view_id: str) -> str:
    return f"{SESSION_PREFIX}{view_id}"


# --- the session, written when it opens ----------------------------------------------------------


def session_open(*, view_id: str, video_id: int, viewer_key: str, started_ms: int, threshold_ms: int) -> None:
    """Store a new session's state (after its row committed). Without Redis the session simply has
    none, and its heartbeats go through Django."""
    client = get_redis()
    if client is None or redis_marked_down():
        return
    key = session_key(view_id)
    state = {"v": video_id, "k": viewer_key, "c": started_ms, "w": 0, "t": threshold_ms, "n": NOT_DECIDED}
    try:
        pipe = client.pipeline(transaction=False)
        pipe.hset(key, mapping=state)
        pipe.expire(key, settings.VIDEO_HEARTBEAT_SESSION_TTL_S)
        pipe.execute()
    except REDIS_DOWN_ERRORS as exc:
        logger.warning("view %s has no heartbeat state: redis unavailable (%s)", view_id, exc)


# --- the hot path (asyncio) ----------------------------------------------------------------------


class AsyncStore(BatchingRedis):
    """The heartbeat script on the loop's batching client (``socialflow.redis_batch``)."""

    SHA = script_sha(_HEARTBEAT_LUA)

    async def heartbeat(
        self,
        *,
        view_id: str,
        video_id: int,
        viewer_key: str,
        now_ms: int,
        watched_ms: int,
        record_prefix: str,
        throttle_key: str,
        throttle_limit: int,
        throttle_window_s: int,
        speed_slack: int,
        grace_ms: int,
    ) -> Heartbeat:
        (result,) = await self.call_script(
            _HEARTBEAT_LUA,
            self.SHA,
            b"3",
            session_key(view_id),
            RECORDS_KEY,
            f"{THROTTLE_PREFIX}{throttle_key}",
            video_id,
            viewer_key,
            now_ms,
            watched_ms,
            record_prefix,
            throttle_limit,
            throttle_window_s + 1,
            settings.VIDEO_HEARTBEAT_SESSION_TTL_S * 1000,
            speed_slack,
            grace_ms,
        )
        if isinstance(result, Exception):
            raise result
        code = int(result[0])
        if code == -1:
            return Heartbeat("throttled")
        if code == 0:
            return Heartbeat("no_session")
        if code == -2:
            return Heartbeat("not_yours")
        return Heartbeat("recorded", watched_ms=int(result[1]), counted_state=int(result[2]), due=bool(result[3]))

    async def decided(self, *, view_id: str, counted: bool) -> None:
        """Record the counting decision so later heartbeats of the session do not ask again."""
        await self.client.hset(session_key(view_id), "n", COUNTED if counted else NOT_COUNTED)


# --- the flush -----------------------------------------------------------------------------------


def _chunks(client, key: str) -> Iterator[list[dict]]:
    start = 0
    while True:
        raw = client.lrange(key, start, start + FLUSH_CHUNK - 1)
        if not raw:
            return
        records = []
        for item in raw:
            try:
                records.append(json.loads(item))
            except (TypeError, ValueError):
                logger.warning("unreadable heartbeat record dropped: %r", item[:200])
        yield records
        start += FLUSH_CHUNK


def _apply_key(client, key: str, apply: Callable[[Iterator[list[dict]]], int]) -> int:
    token = "heartbeats:" + key.removeprefix(FLUSHING_PREFIX)
    applied = 0
    with transaction.atomic():
        _, created = CounterFlush.objects.get_or_create(token=token)
        if created:
            applied = apply(_chunks(client, key))
    client.delete(key)
    return applied


def drain(apply: Callable[[Iterator[list[dict]]], int]) -> int:
    """Hand every buffered record to ``apply`` exactly once (inside a transaction that records the
    flush token); ``apply`` gets the records in chunks, oldest first. One flush at a time."""
    client = get_redis()
    if client is None:
        return 0
    if not fallback_cache.add(FLUSH_LOCK, 1, timeout=600):
        return 0
    try:
        total = 0
        for key in client.scan_iter(match=f"{FLUSHING_PREFIX}*"):  # a flush that died half-way
            total += _apply_key(client, key.decode() if isinstance(key, bytes) else key, apply)
        key = f"{FLUSHING_PREFIX}{uuid.uuid4().hex}"
        try:
            client.rename(RECORDS_KEY, key)
        except redis.ResponseError as exc:  # "no such key": nothing buffered
            if "no such key" not in str(exc).lower():
                raise
            return total
        return total + _apply_key(client, key, apply)
    finally:
        fallback_cache.delete(FLUSH_LOCK)


def pending() -> int:
    """Records waiting for the flush (the live list only)."""
    client = get_redis()
    return int(client.llen(RECORDS_KEY)) if client is not None else 0

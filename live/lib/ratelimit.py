"""Token-bucket rate limit for chat (Owncast: 3 messages per 2 s, then a 10 s timeout).

Atomic across processes with Redis (a Lua script on one hash per user); in process otherwise.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from socialflow.redis import REDIS_DOWN_ERRORS, get_redis, redis_marked_down

logger = logging.getLogger(__name__)

_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local timeout = tonumber(ARGV[4])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'blocked_until')
local tokens = tonumber(data[1]) or capacity
local ts = tonumber(data[2]) or now
local blocked = tonumber(data[3]) or 0
if blocked > now then
  return {0, tostring(blocked - now)}
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 1
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  allowed = 0
  blocked = now + timeout
  wait = timeout
  tokens = 0
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now), 'blocked_until', tostring(blocked))
redis.call('EXPIRE', KEYS[1], math.ceil(timeout + capacity / rate) + 1)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: float = 0.0


class _LocalBuckets:
    def __init__(self):
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float, float]] = {}

    def hit(self, key: str, capacity: float, rate: float, timeout: float) -> Decision:
        now = time.time()
        with self._lock:
            tokens, ts, blocked = self._state.get(key, (capacity, now, 0.0))
            if blocked > now:
                return Decision(False, blocked - now)
            tokens = min(capacity, tokens + max(0.0, now - ts) * rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now, 0.0)
                return Decision(True)
            self._state[key] = (0.0, now, now + timeout)
            return Decision(False, timeout)

    def clear(self):
        with self._lock:
            self._state.clear()


local_buckets = _LocalBuckets()


def chat_rate_limit_hit(*, user_id: int) -> Decision:
    """Take one token from the user's chat bucket; refused (with a wait) when empty or timed out."""
    capacity = float(settings.LIVE_CHAT_RATE_MESSAGES)
    rate = capacity / float(settings.LIVE_CHAT_RATE_PERIOD_S)
    timeout = float(settings.LIVE_CHAT_RATE_TIMEOUT_S)
    key = f"live:chat:bucket:{user_id}"
    client = get_redis()
    if client is None or redis_marked_down():
        return local_buckets.hit(key, capacity, rate, timeout)
    try:
        allowed, wait = client.eval(_LUA, 1, key, capacity, rate, f"{time.time():.6f}", timeout)
    except REDIS_DOWN_ERRORS as exc:  # counted per process until Redis answers again
        logger.warning("chat rate limit counted locally: redis unavailable (%s)", exc)
        return local_buckets.hit(key, capacity, rate, timeout)
    return Decision(bool(int(allowed)), float(wait))


def retry_after_text(seconds: float) -> str:
    return f"{max(1, math.ceil(seconds))} s"

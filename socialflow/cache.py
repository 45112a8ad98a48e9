"""A cache that keeps counting while the shared one (Redis) is unreachable.

Throttles and per-action rate limits (``window_hit``: one atomic Redis call per count) must not turn a Redis outage into errors on every request
(``GET me`` included), nor switch protection off: while the default cache fails, they count in
the per-process ``local`` cache (``CACHES["local"]``), with a warning in the log. Limits are then
per process instead of global — looser by the number of processes, never absent.
"""

import logging

from django.core.cache import caches

from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down

logger = logging.getLogger(__name__)


class FallbackCache:
    """The subset of the cache API counters use: get, set, add, incr, delete."""

    def _call(self, method: str, *args, **kwargs):
        if not redis_marked_down():
            try:
                return getattr(caches["default"], method)(*args, **kwargs)
            except REDIS_DOWN_ERRORS as exc:
                logger.warning("shared cache unavailable (%s); counting in the local cache", exc)
        return getattr(caches["local"], method)(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)


fallback_cache = FallbackCache()


# KEYS[1]: a window's counter; ARGV[1]: its lifetime in seconds. Returns the count after this hit.
WINDOW_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""

_window_scripts: dict[int, object] = {}


def _redis_window_hit(key: str, ttl_s: int) -> int:
    cache = caches["default"]
    client = cache.client.get_client(write=True)
    script = _window_scripts.get(id(client))
    if script is None:
        script = _window_scripts[id(client)] = client.register_script(WINDOW_HIT_SCRIPT)
    return int(script(keys=[cache.make_key(key)], args=[ttl_s]))


def _local_window_hit(key: str, ttl_s: int) -> int:
    local = caches["local"]
    local.add(key, 0, timeout=ttl_s)
    try:
        return local.incr(key)
    except ValueError:  # expired between add() and incr()
        local.set(key, 1, timeout=ttl_s)
        return 1


def window_hit(key: str, *, ttl_s: int) -> int:
    """Count one hit on the fixed-window counter ``key`` (the caller puts the window number in
    it) and return the count so far: ``INCR`` + ``EXPIRE`` on the first hit in one Lua script, one
    atomic Redis call; per process in the local cache while Redis is down."""
    if not redis_marked_down():
        try:
            return _redis_window_hit(key, ttl_s)
        except REDIS_DOWN_ERRORS as exc:
            logger.warning("shared cache unavailable (%s); counting in the local cache", exc)
    return _local_window_hit(key, ttl_s)

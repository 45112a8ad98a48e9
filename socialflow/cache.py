"""A cache that keeps counting while the shared one (Redis) is unreachable.

Throttles and per-action rate limits must not turn a Redis outage into errors on every request
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

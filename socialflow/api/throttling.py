"""Request throttles that count in one Redis round trip, and keep counting while Redis is down.

Every throttle of the API (the default ``anon``/``user`` ones below, the scoped ones in
``accounts.api.throttles`` and ``moderation.api.throttles``) counts with
``socialflow.cache.window_hit``: a **fixed window** counter, ``INCR`` of ``<key>:<window number>`` and ``EXPIRE`` on its first hit,
both in one Lua script (one atomic call; ``EVALSHA``). Why a fixed window rather than DRF's sliding
log: the log is a get plus a set of a list of timestamps per request (two round trips, and a burst
of parallel requests all read the same list and slip through), while a counter cannot be raced and
costs one call. The price is the window edge: up to twice the rate across a boundary, which for
abuse limits is acceptable (the lean heartbeat path and per-action rate limits count the same way).
``Retry-After`` is the time left in the window. With the default classes a request makes one
call: ``anon`` counts anonymous requests, ``user`` signed-in ones.

Redis down (the breaker in ``socialflow.redis`` marks it, or a call fails): the count goes to the
per-process ``local`` cache with a warning — limits per process instead of global, looser by the
number of processes, never absent (``socialflow.cache``).
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from socialflow.cache import window_hit

# On a Django request (or in its ASGI scope, from a lean path) whose hits were counted ahead of
# DRF (``socialflow.api.anonymous_cache``): ``{window key: count}``, read instead of counting the
# same request twice.
COUNTED_ATTR = "socialflow.window_hits"


def counted_hits(request) -> dict[str, int]:
    """The window counts already taken for this Django request."""
    counted = getattr(request, COUNTED_ATTR, None)
    if counted is None:
        counted = getattr(request, "scope", {}).get(COUNTED_ATTR, {})
    return counted


class FixedWindowThrottle(throttling.SimpleRateThrottle):
    """``SimpleRateThrottle`` (rate, cache key, 429 and ``Retry-After`` through DRF) counted by
    ``window_hit``. Put it after a DRF throttle in the bases to keep that throttle's keying."""

    def get_rate(self):
        # The rates as configured now (DRF binds them at import): overrides apply, as for the
        # scoped throttles.
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        window_key = f"{self.key}:{window}"
        counted = counted_hits(getattr(request, "_request", request))
        count = counted[window_key] if window_key in counted else window_hit(window_key, ttl_s=self.duration + 1)
        self._wait = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self):
        return self._wait


class AnonRateThrottle(throttling.AnonRateThrottle, FixedWindowThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, FixedWindowThrottle):
    """Signed-in users only: anonymous requests are ``AnonRateThrottle``'s (DRF's would count them
    a second time, per IP, under the looser ``user`` rate: a second Redis call for nothing)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)

"""Raw Redis access for features that need data structures (timelines, counters, presence)."""

import functools

import redis
from django.conf import settings


@functools.cache
def get_redis() -> redis.Redis | None:
    """The shared client for ``REDIS_URL``, or ``None`` in the embedded mode."""
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL)

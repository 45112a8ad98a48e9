"""DRF's request throttles on the fallback cache (``socialflow.cache``): a Redis outage makes them
count per process instead of failing every request."""

from rest_framework import throttling

from socialflow.cache import fallback_cache


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = fallback_cache


class UserRateThrottle(throttling.UserRateThrottle):
    cache = fallback_cache

"""Redis clients with bounded time, and what "Redis is down" means to the rest of the code.

Every Redis client of the project (the raw client below, the django-redis cache, both channel
layers, the Celery broker) gets a connect timeout and a socket timeout from settings
(``REDIS_CONNECT_TIMEOUT_S``, ``REDIS_SOCKET_TIMEOUT_S``), and the synchronous ones a circuit
breaker: once a connection to an address fails or times out, new connections to it fail at once
for ``REDIS_BREAKER_S`` seconds. A frozen Redis therefore costs one socket timeout per process and
window instead of every request waiting for it, and a killed one fails in microseconds.

Callers treat ``REDIS_DOWN_ERRORS`` as "dependency unavailable": the API answers 503 with
``Retry-After`` (``socialflow.api.exceptions``), throttles and rate limits fall back to a local
cache, feeds fall back to the database, counters to their database store.
"""

import functools
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import redis
from django.conf import settings
from django_redis.exceptions import ConnectionInterrupted
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# What a Redis (or the broker on it) being down or frozen looks like to callers. django-redis wraps
# redis errors in ConnectionInterrupted; kombu wraps a failed publish in OperationalError.
REDIS_DOWN_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionInterrupted,
    KombuOperationalError,
)


class _Breaker:
    """Per-address "down until" marks shared by every synchronous client in the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._down_until: dict[str, float] = {}

    def remaining(self, address: str) -> float:
        return max(0.0, self._down_until.get(address, 0.0) - time.monotonic())

    def trip(self, address: str, error: BaseException) -> None:
        with self._lock:
            already = self._down_until.get(address, 0.0) > time.monotonic()
            self._down_until[address] = time.monotonic() + settings.REDIS_BREAKER_S
        if not already:
            logger.warning(
                "redis at %s unreachable (%s: %s); failing fast for %.1f s",
                address,
                type(error).__name__,
                error,
                settings.REDIS_BREAKER_S,
            )

    def any_down(self) -> bool:
        now = time.monotonic()
        return any(until > now for until in self._down_until.values())

    def reset(self) -> None:
        with self._lock:
            self._down_until.clear()


breaker = _Breaker()


def redis_marked_down() -> bool:
    """True while some Redis this process talks to failed within the last ``REDIS_BREAKER_S``."""
    return breaker.any_down()


class _BreakerMixin:
    """Refuse to connect while the address is marked down; mark it on connect/read failures.

    A read that fails with a plain ConnectionError (a pooled connection the server closed, e.g.
    after a Redis restart) does not mark the address: the client's single retry reconnects, and
    only a failing reconnect marks it.
    """

    def _breaker_address(self) -> str:
        return getattr(self, "path", "") or f"{self.host}:{self.port}"

    def connect(self, *args, **kwargs):
        address = self._breaker_address()
        remaining = breaker.remaining(address)
        if remaining:
            raise redis.ConnectionError(f"Redis at {address} is marked down for {remaining:.1f} s more")
        try:
            return super().connect(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            breaker.trip(address, exc)
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except redis.TimeoutError as exc:
            breaker.trip(self._breaker_address(), exc)
            raise


class BoundedConnection(_BreakerMixin, redis.Connection):
    pass


class BoundedUnixConnection(_BreakerMixin, redis.UnixDomainSocketConnection):
    pass


def bounded_retry() -> Retry:
    """One immediate retry on a connection error (a stale pooled connection), none on timeouts."""
    return Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))


def connection_kwargs(url: str) -> dict:
    """Connection-pool keyword arguments for a synchronous redis-py client of ``url``."""
    return {
        "connection_class": BoundedUnixConnection if url.startswith("unix:") else BoundedConnection,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT_S,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT_S,
        "retry": bounded_retry(),
    }


@functools.cache
def get_redis() -> redis.Redis | None:
    """The shared client for ``REDIS_URL``, or ``None`` when no Redis is configured."""
    if not settings.REDIS_URL:
        return None
    pool = redis.ConnectionPool.from_url(settings.REDIS_URL, **connection_kwargs(settings.REDIS_URL))
    return redis.Redis(connection_pool=pool)


def cache_config(url: str, *, key_prefix: str, connect_timeout_s: float, socket_timeout_s: float) -> dict:
    """The django-redis ``CACHES`` entry for ``url``, bounded and behind the breaker."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": connect_timeout_s,
            "SOCKET_TIMEOUT": socket_timeout_s,
            "CONNECTION_POOL_KWARGS": {
                "connection_class": BoundedUnixConnection if url.startswith("unix:") else BoundedConnection,
                "retry": bounded_retry(),
            },
        },
        "KEY_PREFIX": key_prefix,
    }


def redis_db(url: str) -> int:
    """The database number a Redis URL selects (``redis://h:p/N`` or ``unix://path?db=N``)."""
    parts = urlsplit(url)
    query_db = parse_qs(parts.query).get("db", [""])[0]
    path_db = "" if parts.scheme == "unix" else parts.path.strip("/")
    return int(query_db or path_db or 0)


def channel_layers_config(
    url: str, *, prefix: str, connect_timeout_s: float, socket_timeout_s: float, receive_block_s: float
) -> dict:
    """``CHANNEL_LAYERS`` for ``url``: the default layer, bounded. (Chat rooms use no channel layer:
    ``live.lib.hub`` subscribes once per process on channels named by ``pubsub_prefix``.)"""
    # One immediate retry on a connection error: after a Redis restart the pooled connection is
    # dead, and the first websocket must not fail on it.
    host = {
        "address": url,
        "socket_connect_timeout": connect_timeout_s,
        "retry": AsyncRetry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    }
    return {
        "default": {
            "BACKEND": "socialflow.layers.BoundedRedisChannelLayer",
            "CONFIG": {
                # BZPOPMIN blocks receive_block_s: the socket must wait longer than that.
                "hosts": [{**host, "socket_timeout": receive_block_s + socket_timeout_s}],
                "prefix": prefix,
                "capacity": 1500,
                "expiry": 10,
            },
        },
    }


def pubsub_prefix(url: str, *, prefix: str) -> str:
    """A prefix for pub/sub channel names on ``url``. Pub/sub ignores the database number:
    deployments sharing one Redis on different databases would hear each other unless the channel
    names carry it."""
    return f"{prefix}:db{redis_db(url)}"

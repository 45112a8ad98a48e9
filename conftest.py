"""Project-wide fixtures: personas (alice owns, bob is another user, charlie an outsider),
authenticated API clients, and a clean cache per test."""

import pytest
from django.core.cache import cache, caches
from django.db import connection, connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from socialflow.core import events
from socialflow.redis import breaker, cache_config, channel_layers_config, get_redis
from socialflow.tests.redis_process import RedisProcess, redis_server_binary


@pytest.fixture(autouse=True, scope="module")
def _fresh_connection_pool():
    """PostgreSQL's connection pool starts each test module full.

    Async tests (websocket consumers) run ORM calls in their event loop's executor threads; those
    threads end with the loop, never returning their pooled connection, so a long run drains the
    pool (20) and a later test that needs several connections at once (live server, real threads)
    waits out the pool timeout. Not a server leak: there the loop and its threads live on and
    Channels returns each connection after every call."""
    if getattr(connection, "pool", None) is not None:
        connections.close_all()
        connection.close_pool()
    yield


@pytest.fixture(autouse=True)
def _clean_cache():
    # The breaker first: a test that tripped it (on CI's 127.0.0.1:6379) must not fail the clear.
    breaker.reset()
    cache.clear()
    caches["local"].clear()
    yield
    breaker.reset()
    cache.clear()
    caches["local"].clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client():
    return APIClient()


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


@pytest.fixture
def alice_client(alice):
    return bearer_client(alice)


@pytest.fixture
def bob_client(bob):
    return bearer_client(bob)


@pytest.fixture
def charlie_client(charlie):
    return bearer_client(charlie)


@pytest.fixture
def event_handler():
    """Register a domain-event handler for one test: ``event_handler("post.created", fn, name=...)``."""
    added: list[tuple[str, str]] = []

    def add(event: str, fn, *, name: str):
        events.register(event, fn, name=name)
        added.append((event, name))
        return fn

    yield add
    for event, name in added:
        events.unregister(event, name)


@pytest.fixture
def outage_redis(settings):
    """A private redis-server the test may freeze or kill, with every Redis client of the project
    (cache, channel layers, timelines, counters) pointed at it; skipped without a redis-server."""
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("no redis-server binary")
    server = RedisProcess(binary)
    server.start()
    timeouts = {
        "connect_timeout_s": settings.REDIS_CONNECT_TIMEOUT_S,
        "socket_timeout_s": settings.REDIS_SOCKET_TIMEOUT_S,
    }
    settings.REDIS_URL = server.url
    settings.CACHES = {**settings.CACHES, "default": cache_config(server.url, key_prefix="sf-outage", **timeouts)}
    settings.CHANNEL_LAYERS = channel_layers_config(
        server.url, prefix="sf-outage", receive_block_s=settings.CHANNEL_LAYER_RECEIVE_BLOCK_S, **timeouts
    )
    settings.FEED_STORE = "redis"
    get_redis.cache_clear()
    breaker.reset()
    yield server
    server.stop()
    get_redis.cache_clear()
    breaker.reset()

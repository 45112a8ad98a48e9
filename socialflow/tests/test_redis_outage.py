"""A Redis outage (frozen or killed): bounded time, 503 + Retry-After or degraded service, nothing
acknowledged lost. A private redis-server (the ``outage_redis`` fixture) is frozen or killed."""

import time
from unittest import mock

import pytest
import redis
from channels.testing import WebsocketCommunicator
from django.test import RequestFactory
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from posts.feeds.stores import RedisTimelineStore
from posts.models import Post
from posts.tests.conftest import activate
from socialflow.asgi import application
from socialflow.cache import fallback_cache
from socialflow.errors import server_error
from socialflow.redis import breaker, cache_config, get_redis
from socialflow.reliability.models import DeferredTask
from socialflow.reliability.tasks import redrive_deferred_tasks
from videos.counters import RedisCounterStore
from videos.models import PendingViewCount, Video
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_it_answers_get_me_within_a_socket_timeout_while_redis_is_frozen(outage_redis, alice_client, settings):
    # A long socket timeout makes "waited for Redis" and "did not" far apart on a busy machine.
    timeout_s = 2.0
    settings.CACHES = {
        **settings.CACHES,
        "default": cache_config(
            outage_redis.url, key_prefix="sf-outage", connect_timeout_s=0.5, socket_timeout_s=timeout_s
        ),
    }
    assert alice_client.get("/api/v1/me").status_code == 200  # warm: imports, URL resolver, connections
    outage_redis.freeze()
    first, first_s = _timed(lambda: alice_client.get("/api/v1/me"))
    second, second_s = _timed(lambda: alice_client.get("/api/v1/me"))
    outage_redis.thaw()
    assert first.status_code == 200 and second.status_code == 200
    assert timeout_s <= first_s < timeout_s + 1.5  # one socket timeout, not 5 s x 10 retries
    assert second_s < timeout_s / 2  # the breaker is open: no second wait


def test_it_answers_get_me_at_once_while_redis_is_killed(outage_redis, alice_client):
    assert alice_client.get("/api/v1/me").status_code == 200
    outage_redis.kill()
    response, elapsed = _timed(lambda: alice_client.get("/api/v1/me"))
    assert response.status_code == 200
    assert elapsed < 1.0


def test_it_keeps_throttling_in_the_local_cache_while_redis_is_down(outage_redis, api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "2/min"},
    }
    outage_redis.kill()
    body = {"username": "nobody", "password": "wrong-password"}
    statuses = [api_client.post("/api/v1/auth/token", body).status_code for _ in range(3)]
    assert statuses[-1] == 429
    assert statuses[0] != 429


def test_it_counts_in_the_local_cache_only_while_redis_is_down(outage_redis):
    fallback_cache.set("k", 1)
    assert get_redis().exists("sf-outage:1:k")
    outage_redis.kill()
    fallback_cache.set("k", 2)
    assert fallback_cache.get("k") == 2


def test_it_maps_a_redis_error_to_503_with_retry_after(alice_client, alice, settings):
    with mock.patch("accounts.api.views.services.totp_setup_begin", side_effect=redis.ConnectionError("down")):
        response = alice_client.post("/api/v1/auth/2fa/totp")
    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.DEPENDENCY_RETRY_AFTER_S)
    assert response.json() == {"detail": "This service is temporarily unavailable.", "code": "service_unavailable"}


def test_it_answers_503_outside_the_api_views_too(settings):
    request = RequestFactory().get("/studio/")
    try:
        raise redis.TimeoutError("Timeout reading from socket")
    except redis.TimeoutError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.DEPENDENCY_RETRY_AFTER_S)


def test_it_saves_a_post_while_redis_is_down_and_fans_it_out_once_it_is_back(
    outage_redis, alice, bob, alice_client, django_capture_on_commit_callbacks
):
    Follow.objects.create(follower=bob, followee=alice)
    activate(alice, bob)
    alice_client.get("/api/v1/me")  # warm
    outage_redis.kill()
    with django_capture_on_commit_callbacks(execute=True):
        response, elapsed = _timed(lambda: alice_client.post("/api/v1/posts", {"text": "during the outage"}))
    assert response.status_code == 201, response.content
    assert elapsed < 2.0
    post_id = int(response.json()["id"])
    # The post.created dispatch waits in the database; its handlers fan the post out later.
    assert [t.name for t in DeferredTask.objects.all()] == ["socialflow.core.events.dispatch_event"]

    outage_redis.start()
    breaker.reset()
    assert redrive_deferred_tasks() >= 1
    assert not DeferredTask.objects.exists()
    assert post_id in RedisTimelineStore().page(user_id=bob.pk, max_id=None, limit=10)


def test_it_reads_the_home_feed_from_the_database_while_redis_is_down(outage_redis, alice, bob, bob_client):
    Follow.objects.create(follower=bob, followee=alice)
    post = Post.objects.create(author=alice, text="hello")
    outage_redis.kill()
    response = bob_client.get("/api/v1/feed/home")
    assert response.status_code == 200
    assert [int(p["id"]) for p in response.json()["results"]] == [post.pk]


def test_it_keeps_view_counts_in_the_database_while_redis_is_down(outage_redis):
    video = VideoFactory()
    store = RedisCounterStore(get_redis())
    store.add(video_id=video.pk)
    outage_redis.kill()
    store.add(video_id=video.pk)
    assert PendingViewCount.objects.filter(video=video).count() == 1

    outage_redis.start()  # a restarted Redis without persistence: its pending hash is gone
    breaker.reset()
    assert store.flush() == 1
    assert Video.objects.get(pk=video.pk).views_count == 1
    assert not PendingViewCount.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_closes_a_websocket_with_1013_while_redis_is_down(outage_redis):
    token = await _token()
    outage_redis.kill()
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 1013}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_connects_the_first_websocket_after_a_redis_restart(outage_redis):
    token = await _token()
    first = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    assert (await first.connect(timeout=5))[0]
    await first.disconnect()
    outage_redis.kill()
    outage_redis.start()
    again = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    connected, _ = await again.connect(timeout=5)
    assert connected
    assert (await again.receive_json_from(timeout=5))["type"] == "unread_count"  # not a 1013 close
    await again.disconnect()


async def _token() -> str:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(lambda: str(RefreshToken.for_user(UserFactory()).access_token))()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_closes_a_websocket_at_once_while_redis_is_known_to_be_down():
    breaker.trip("127.0.0.1:1", redis.ConnectionError("refused"))
    communicator = WebsocketCommunicator(application, "/ws/notifications/")
    connected, _ = await communicator.connect(timeout=1)
    assert connected
    assert await communicator.receive_output(timeout=1) == {"type": "websocket.close", "code": 1013}

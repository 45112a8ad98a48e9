"""The default request throttles: one atomic Redis call per request, DRF's 429 and Retry-After."""

import time

import pytest
from django.core.cache import cache

from socialflow import cache as counting
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_calls(monkeypatch):
    calls = []
    real = counting._redis_window_hit

    def counted(key, ttl_s):
        calls.append(key)
        return real(key, ttl_s)

    monkeypatch.setattr(counting, "_redis_window_hit", counted)
    return calls


def test_a_request_costs_one_throttle_call(api_client, bob_client, redis_calls):
    video = VideoFactory()
    assert api_client.get(f"/api/v1/videos/{video.pk}/comments").status_code == 200
    assert len(redis_calls) == 1 and "throttle_anon_" in redis_calls[0]
    assert bob_client.get("/api/v1/videos").status_code == 200
    assert len(redis_calls) == 2 and "throttle_user_" in redis_calls[1]


def test_an_anonymous_video_read_is_counted_once(api_client, redis_calls):
    """Counted with the cache read (socialflow.api.anonymous_cache), and not again by DRF."""
    video = VideoFactory()
    for _ in range(2):  # a miss (DRF renders it), then a hit
        assert api_client.get("/api/v1/videos").status_code == 200
        assert api_client.get(f"/api/v1/videos/{video.pk}").status_code == 200
    assert redis_calls == []
    window = int(time.time() // 60)
    assert cache.get(f"throttle_anon_127.0.0.1:{window}") == 4


def test_it_answers_429_with_retry_after_past_the_rate(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"},
    }
    statuses = [api_client.get("/api/v1/videos").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = api_client.get("/api/v1/videos")
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_it_counts_per_process_while_redis_is_down(outage_redis, api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"},
    }
    outage_redis.kill()
    assert [api_client.get("/api/v1/videos").status_code for _ in range(3)] == [200, 200, 429]

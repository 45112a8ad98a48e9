"""The lean watch-heartbeat path (videos.api.heartbeat_app) through the real ASGI application.

Requests go through ``socialflow.asgi.application`` with httpx's ASGI transport; the same requests
sent to the Django application alone (what the lean path hands over) are the reference answers.
Django runs the views in a worker thread, so these tests commit their data (transactional).
"""

import asyncio
import time
from datetime import timedelta

import httpx
import pytest
import yaml
from django.conf import settings
from django.db.models import Sum
from rest_framework_simplejwt.tokens import AccessToken

from analytics import services as analytics_services
from analytics.models import RawEvent, VideoDay
from socialflow.asgi import application
from videos import heartbeats
from videos.models import Video, VideoView
from videos.tasks import flush_heartbeats
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)

DJANGO_ONLY = application.application_mapping["http"].app
CLIENT_IP = "10.1.2.3"


@pytest.fixture(autouse=True)
def _forget_access_decisions():
    """The lean path keeps decisions in process memory; each test starts without them."""
    lean = application.application_mapping["http"]
    lean._users.items.clear()
    lean._videos.items.clear()
    yield


async def _requests(app, calls):
    transport = httpx.ASGITransport(app=app, client=(CLIENT_IP, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return [await client.request(method, path, **kwargs) for method, path, kwargs in calls]


def send(calls, *, app=application):
    """Send ``[(method, path, kwargs), ...]`` in order on one event loop; the responses."""
    return asyncio.run(_requests(app, calls))


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def start_view(video, headers=None) -> str:
    [response] = send([("POST", f"/api/v1/videos/{video.pk}/views", {"headers": headers or {}})])
    assert response.status_code == 201, response.text
    return response.json()["view_id"]


def watch(video, view_id, watched, *, headers=None, position=None):
    body = {"view_id": view_id, "position_ms": watched if position is None else position, "watched_ms": watched}
    return ("POST", f"/api/v1/videos/{video.pk}/watch", {"json": body, "headers": headers or {}})


def comparable(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k not in ("x-request-id", "content-length")}
    return response.status_code, response.content, headers


def test_it_answers_heartbeats_from_redis_and_the_flush_makes_analytics_exact(alice, bob, charlie):
    video = VideoFactory(author=alice, duration_ms=600_000)
    viewers = [bearer(bob), bearer(charlie), {}]  # two signed-in viewers and an anonymous one
    views = [start_view(video, headers) for headers in viewers]
    steps = [250, 500, 500, 1000, 1750, 2500]  # one repeated: accepted, adds nothing
    calls = [
        watch(video, view, watched, headers=headers)
        for watched in steps
        for view, headers in zip(views, viewers, strict=True)
    ]
    responses = send(calls)

    assert [r.status_code for r in responses] == [200] * len(calls)
    assert responses[-1].json() == {"view_id": views[-1], "watched_ms": 2500, "counted": False}
    assert heartbeats.pending() == len(calls)
    assert set(VideoView.objects.values_list("watched_ms", flat=True)) == {0}  # nothing in the database yet

    flushed = analytics_services.tracking_flush()

    assert flushed["heartbeats"] == len(calls)
    assert heartbeats.pending() == 0
    assert list(VideoView.objects.values_list("watched_ms", flat=True)) == [2500, 2500, 2500]
    heartbeat_rows = RawEvent.objects.filter(kind="heartbeat", video_id=video.pk)
    assert heartbeat_rows.count() == len(calls)  # every accepted heartbeat, exactly once
    assert heartbeat_rows.aggregate(total=Sum("watched_ms"))["total"] == 3 * 2500
    assert VideoDay.objects.get(video_id=video.pk).watch_time_ms == 3 * 2500
    assert analytics_services.tracking_flush()["heartbeats"] == 0  # a second flush adds nothing


def test_it_counts_the_view_when_the_session_crosses_the_threshold(alice, bob):
    video = VideoFactory(author=alice, duration_ms=2_000)  # a short video: counted once watched (1.5 s)
    view_id = start_view(video, bearer(bob))
    first, crossed, after = send([watch(video, view_id, w, headers=bearer(bob)) for w in (1000, 2000, 2500)])
    assert first.json()["counted"] is False
    assert crossed.json() == {"view_id": view_id, "watched_ms": 2000, "counted": True}
    assert after.json()["counted"] is True
    assert VideoView.objects.get(pk=view_id).counted_at is not None
    analytics_services.tracking_flush()
    assert RawEvent.objects.filter(kind="view", video_id=video.pk).count() == 1


def test_it_answers_like_django(alice, bob, charlie):
    """Every refusal is Django's own answer (the lean path hands those requests over)."""
    video = VideoFactory(author=alice)
    private = VideoFactory(author=alice, visibility="private")
    view_id = start_view(video, bearer(bob))
    expired = AccessToken.for_user(bob)
    expired.set_exp(lifetime=-timedelta(minutes=1))
    url = f"/api/v1/videos/{video.pk}/watch"
    good = {"view_id": view_id, "position_ms": 100, "watched_ms": 100}
    cases = [
        ("POST", url, {"content": b"{bad", "headers": {**bearer(bob), "Content-Type": "application/json"}}),
        ("POST", url, {"json": {**good, "watched_ms": "many"}, "headers": bearer(bob)}),
        ("POST", url, {"json": {**good, "position_ms": -1}, "headers": bearer(bob)}),
        ("POST", url, {"json": {**good, "watched_ms": True}, "headers": bearer(bob)}),
        ("POST", url, {"json": {"view_id": view_id}, "headers": bearer(bob)}),
        ("POST", url, {"json": [good], "headers": bearer(bob)}),
        ("POST", url, {"json": {**good, "view_id": "not-a-uuid"}, "headers": bearer(bob)}),
        ("POST", url, {"json": {**good, "view_id": "00000000-0000-0000-0000-000000000000"}, "headers": bearer(bob)}),
        ("POST", url, {"json": good, "headers": bearer(charlie)}),  # another viewer's session
        ("POST", url, {"json": good}),  # anonymous, not the session's viewer
        ("POST", url, {"json": good, "headers": {"Authorization": f"Bearer {expired}"}}),
        ("POST", url, {"json": good, "headers": {"Authorization": "Bearer not.a.token"}}),
        ("POST", f"/api/v1/videos/{private.pk}/watch", {"json": good, "headers": bearer(bob)}),
        ("POST", "/api/v1/videos/987654321/watch", {"json": good, "headers": bearer(bob)}),
    ]
    lean, django = send(cases), send(cases, app=DJANGO_ONLY)
    for case, ours, reference in zip(cases, lean, django, strict=True):
        assert comparable(ours) == comparable(reference), case
    assert [r.status_code for r in lean] == [400] * 7 + [404] * 2 + [404, 401, 401, 404, 404]
    assert heartbeats.pending() == 0  # none of them was recorded


def test_it_answers_a_heartbeat_with_the_same_headers_and_schema_as_django(alice, bob):
    video = VideoFactory(author=alice)
    lean_view, django_view = start_view(video, bearer(bob)), start_view(video, bearer(bob))
    [ours] = send([watch(video, lean_view, 1000, headers=bearer(bob))])
    [reference] = send([watch(video, django_view, 1000, headers=bearer(bob))], app=DJANGO_ONLY)
    assert heartbeats.pending() == 1  # the first answered from Redis, the second by Django
    assert VideoView.objects.get(pk=django_view).watched_ms == 1000
    assert comparable(ours)[0] == comparable(reference)[0] == 200
    assert comparable(ours)[2] == comparable(reference)[2]
    assert ours.json() == {**reference.json(), "view_id": lean_view}
    schema = yaml.safe_load((settings.BASE_DIR / "docs" / "openapi.yaml").read_text())
    recorded = schema["components"]["schemas"]["WatchRecorded"]
    types = {"string": str, "integer": int, "boolean": bool}
    assert set(ours.json()) == set(recorded["properties"]) == set(recorded["required"])
    for name, spec in recorded["properties"].items():
        assert type(ours.json()[name]) is types[spec["type"]]


def test_it_leaves_session_cookies_and_other_shapes_to_django(alice, bob):
    video = VideoFactory(author=alice)
    view_id = start_view(video, bearer(bob))
    headers = {**bearer(bob), "Cookie": f"{settings.SESSION_COOKIE_NAME}=abc"}
    responses = send(
        [
            watch(video, view_id, 500, headers=headers),
            (
                "POST",
                f"/api/v1/videos/{video.pk}/watch",
                {"data": {"view_id": view_id, "position_ms": 600, "watched_ms": 600}, "headers": bearer(bob)},
            ),
            watch(video, view_id, 700, headers={**bearer(bob), "Accept": "text/html"}),
        ]
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert heartbeats.pending() == 0
    assert VideoView.objects.get(pk=view_id).watched_ms == 700


def test_it_throttles_at_drf_rates(alice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min"},
    }
    video = VideoFactory(author=alice)
    [started] = send([("POST", f"/api/v1/videos/{video.pk}/views", {})])
    view_id = started.json()["view_id"]  # that request took one of the anonymous viewer's three (Django's budget)
    responses = send([watch(video, view_id, w) for w in (100, 200, 300, 400)])
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    throttled = responses[-1]
    assert throttled.json()["code"] == "throttled"
    assert throttled.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert heartbeats.pending() == 3


def test_it_goes_through_the_database_while_redis_is_down(outage_redis, alice, bob):
    video = VideoFactory(author=alice)
    view_id = start_view(video, bearer(bob))
    [lean] = send([watch(video, view_id, 1000, headers=bearer(bob))])
    assert lean.status_code == 200 and heartbeats.pending() == 1
    outage_redis.kill()
    responses = send([watch(video, view_id, w, headers=bearer(bob)) for w in (2000, 2500)])
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[-1].json()["watched_ms"] == 2500
    assert VideoView.objects.get(pk=view_id).watched_ms == 2500  # written by Django at once


def test_it_stays_exact_when_heartbeats_switch_paths(outage_redis, alice, bob, settings):
    """Redis answers, then Django (Redis frozen), then Redis again with its stale state: the flush
    adds only what the row does not have yet, so watch time is the session's, once."""
    settings.REDIS_BREAKER_S = 0.3
    video = VideoFactory(author=alice)
    view_id = start_view(video, bearer(bob))
    send([watch(video, view_id, w, headers=bearer(bob)) for w in (500, 1000)])
    outage_redis.freeze()
    try:
        send([watch(video, view_id, w, headers=bearer(bob)) for w in (1500, 2000)])
    finally:
        outage_redis.thaw()
    assert VideoView.objects.get(pk=view_id).watched_ms == 2000
    time.sleep(settings.REDIS_BREAKER_S)
    [again] = send([watch(video, view_id, 2500, headers=bearer(bob))])
    assert again.status_code == 200
    assert heartbeats.pending() >= 3  # answered from Redis before and after the outage
    analytics_services.tracking_flush()
    assert VideoView.objects.get(pk=view_id).watched_ms == 2500
    assert VideoDay.objects.get(video_id=video.pk).watch_time_ms == 2500


def test_it_refuses_a_video_made_private_after_the_access_ttl(alice, bob, settings):
    settings.VIDEO_HEARTBEAT_ACCESS_TTL_S = 0
    video = VideoFactory(author=alice)
    view_id = start_view(video, bearer(bob))
    Video.objects.filter(pk=video.pk).update(visibility="private")
    [response] = send([watch(video, view_id, 500, headers=bearer(bob))])
    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found.", "code": "not_found"}


def test_it_flushes_on_the_beat_schedule(alice, bob):
    assert settings.CELERY_BEAT_SCHEDULE["videos-flush-heartbeats"]["task"] == "videos.tasks.flush_heartbeats"
    video = VideoFactory(author=alice)
    view_id = start_view(video, bearer(bob))
    send([watch(video, view_id, w, headers=bearer(bob)) for w in (400, 800)])
    assert flush_heartbeats() == 2
    view = VideoView.objects.get(pk=view_id)
    assert (view.watched_ms, view.position_ms, view.last_heartbeat_at is not None) == (800, 800, True)
    assert RawEvent.objects.filter(kind="heartbeat", view_id=view_id).count() == 2

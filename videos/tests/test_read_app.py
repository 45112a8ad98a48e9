"""The lean path for anonymous reads (videos.api.read_app) ahead of Django's chain.

``AnonymousReadApp`` wraps a spy around the real inner chain of ``socialflow.asgi.application``
(what it hands requests to), driven by httpx's ASGI transport. Django runs the views in a worker
thread, so these tests commit their data (transactional).
"""

import asyncio
import time

import httpx
import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework_simplejwt.tokens import AccessToken

from socialflow.api.throttling import COUNTED_ATTR
from socialflow.asgi import application
from socialflow.redis import breaker
from videos.api.read_app import AnonymousReadApp
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)

INNER = application.application_mapping["http"].app.app  # what AnonymousReadApp hands requests to
CLIENT_IP = "10.1.2.3"
LIST = "/api/v1/videos"
SAME_HEADERS = (
    "content-type",
    "vary",
    "allow",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "x-request-id",
    "content-length",
)


class Spy:
    """The inner app, recording the scope of every request handed to it."""

    def __init__(self, app):
        self.app = app
        self.scopes = []

    async def __call__(self, scope, receive, send):
        self.scopes.append(scope)
        return await self.app(scope, receive, send)


@pytest.fixture
def inner():
    return Spy(INNER)


@pytest.fixture
def lean(inner):
    """Built per test: it binds the cache (``outage_redis`` points the settings at another)."""
    return AnonymousReadApp(inner)


async def _requests(app, calls, client_ip):
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return [await client.request(method, path, **kwargs) for method, path, kwargs in calls]


def send(app, calls, *, client_ip=CLIENT_IP):
    """``[(method, path, kwargs), ...]`` in order on one event loop; the responses."""
    return asyncio.run(_requests(app, calls, client_ip))


def get(path, **headers):
    return ("GET", path, {"headers": {"X-Request-ID": "req-1", **headers}})


def detail(video) -> str:
    return f"/api/v1/videos/{video.pk}"


def window_key(ip: str = CLIENT_IP) -> str:
    """The anon throttle's counter of the current minute (after waiting out a window's last 2 s)."""
    if 60 - time.time() % 60 < 2:
        time.sleep(2)
    return f"throttle_anon_{ip}:{int(time.time() // 60)}"


def anon_rate(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": rate},
    }


@pytest.mark.parametrize("which", ["detail", "list", "list?page=1"])
def test_it_answers_what_django_filed_with_djangos_bytes_and_headers(lean, inner, which):
    video = VideoFactory()
    path = detail(video) if which == "detail" else LIST + which.removeprefix("list")
    key = window_key()
    miss, hit = send(lean, [get(path), get(path)])
    assert len(inner.scopes) == 1  # the miss only
    assert inner.scopes[0][COUNTED_ATTR] == {key: 1}
    assert miss.status_code == hit.status_code == 200
    assert hit.content == miss.content
    assert dict(hit.headers) == dict(miss.headers)
    assert set(SAME_HEADERS) <= set(hit.headers)
    assert cache.get(key) == 2  # each request counted once


def test_it_answers_the_first_page_from_what_either_spelling_filed(lean, inner):
    VideoFactory()
    miss, hit = send(lean, [get(LIST), get(f"{LIST}?page=1")])
    assert len(inner.scopes) == 1 and hit.content == miss.content


@pytest.mark.parametrize(
    "call",
    [
        ("POST", LIST, {"json": {}}),
        ("HEAD", "{detail}", {}),
        ("HEAD", LIST, {}),
        get("{detail}", Authorization="Bearer not.a.token"),
        get(LIST, Cookie=f"{settings.SESSION_COOKIE_NAME}=abc"),
        get("{detail}", Accept="text/html"),
        get(f"{LIST}?page_size=3"),
        get(f"{LIST}?page=2&page=3"),
        get("{detail}?format=json"),
        get(f"{LIST}?page=6"),
    ],
    ids=lambda call: f"{call[0]} {call[1]} {sorted(call[2].get('headers', {}).items())}",
)
def test_it_passes_other_requests_to_django_unchanged(lean, inner, call):
    video = VideoFactory()
    send(lean, [get(detail(video)), get(LIST)])  # both filed
    inner.scopes.clear()
    method, path, kwargs = call
    send(lean, [(method, path.format(detail=detail(video)), kwargs)])
    assert len(inner.scopes) == 1
    assert COUNTED_ATTR not in inner.scopes[0]  # not counted: Django's throttle does it


def test_it_passes_a_signed_in_reader_to_django(lean, inner, bob):
    video = VideoFactory()
    send(lean, [get(detail(video))])
    [response] = send(lean, [get(detail(video), Authorization=f"Bearer {AccessToken.for_user(bob)}")])
    assert response.status_code == 200 and len(inner.scopes) == 2
    assert COUNTED_ATTR not in inner.scopes[1]


def test_it_passes_a_disallowed_host_to_django(lean, inner, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    video = VideoFactory()
    send(lean, [get(detail(video))])
    [response] = send(lean, [get(detail(video), Host="evil.example")])
    assert response.status_code == 400 and len(inner.scopes) == 2
    assert COUNTED_ATTR not in inner.scopes[1]


def test_it_stays_out_of_the_way_when_turned_off(lean, inner, settings):
    video = VideoFactory()
    settings.VIDEO_READS_LEAN = False
    responses = send(lean, [get(detail(video)), get(detail(video))])
    assert [r.status_code for r in responses] == [200, 200]
    assert len(inner.scopes) == 2 and all(COUNTED_ATTR not in scope for scope in inner.scopes)


def test_it_passes_everything_to_django_while_redis_is_marked_down(lean, inner):
    video = VideoFactory()
    send(lean, [get(detail(video))])
    breaker.trip(f"{settings.REDIS_URL}", ConnectionError("down"))
    [response] = send(lean, [get(detail(video))])
    assert response.status_code == 200 and len(inner.scopes) == 2


def test_it_passes_everything_to_django_when_redis_dies(outage_redis, inner):
    lean = AnonymousReadApp(inner)  # bound to the outage server's cache settings
    video = VideoFactory()
    warm = send(lean, [get(detail(video)), get(detail(video))])
    assert len(inner.scopes) == 1  # filed in the outage server, then answered from it
    outage_redis.kill()
    [response] = send(lean, [get(detail(video))])
    assert response.status_code == 200 and response.content == warm[0].content
    assert len(inner.scopes) == 2


def test_it_leaves_a_reader_over_the_limit_to_drfs_429(lean, inner, settings):
    video = VideoFactory()
    send(lean, [get(detail(video))], client_ip="10.9.9.9")  # filed, on another reader's budget
    inner.scopes.clear()
    anon_rate(settings, "2/min")
    key = window_key()
    responses = send(lean, [get(detail(video)) for _ in range(3)])
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert len(inner.scopes) == 1 and inner.scopes[0][COUNTED_ATTR] == {key: 3}
    assert responses[2].json()["code"] == "throttled"
    assert 1 <= int(responses[2].headers["Retry-After"]) <= 60
    assert cache.get(key) == 3  # counted once per request, by the lean path alone


def test_it_files_https_pages_apart_from_http_ones(lean, inner, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    VideoFactory.create_batch(21)  # two pages: the first links to the second
    http = send(lean, [get(LIST)])[0].json()
    https_miss, https_hit = send(lean, [get(LIST, **{"X-Forwarded-Proto": "https"})] * 2)
    assert http["next"].startswith("http://testserver/")
    assert https_miss.json()["next"].startswith("https://testserver/")
    assert len(inner.scopes) == 2 and https_hit.content == https_miss.content

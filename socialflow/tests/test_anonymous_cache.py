"""Rendered anonymous answers (socialflow.api.anonymous_cache) through ``VideoViewSet.dispatch``:
a hit is DRF's bytes without DRF, as current as the database, counted once by the throttle."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.services.bans import user_ban
from accounts.services.users import user_profile_update
from accounts.tests.factories import UserFactory
from copyright.models import Claim, RightsHolder
from socialflow.api import anonymous_cache
from socialflow.hydration import hydration_keys
from videos import services
from videos.api import representations
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/videos"
HEADERS = ("Content-Type", "Allow", "Vary")


def detail(video) -> str:
    return f"/api/v1/videos/{video.pk}"


def list_key(*, country: str = "-", page: int = 1) -> str:
    entry, _ = hydration_keys(
        kind=representations.LIST_KIND,
        pk=representations.LIST_ID,
        variant=f"anonymous|http://testserver{LIST}|{country}|{page}",
    )
    return entry


def detail_key(video) -> str:
    entry, _ = hydration_keys(kind="video", pk=video.pk, variant=f"anonymous|http://testserver{detail(video)}")
    return entry


def from_cache(response) -> bool:
    """A hit is the stored bytes in a plain ``HttpResponse``; DRF's answer carries ``.data``."""
    return response.status_code == 200 and not hasattr(response, "data")


def titles(response) -> list[str]:
    return [video["title"] for video in response.json()["results"]]


def anon_rate(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": rate},
    }


def window_key(ip: str = "127.0.0.1") -> str:
    """The anon throttle's counter of the current minute (after waiting out a window's last 2 s)."""
    if 60 - time.time() % 60 < 2:
        time.sleep(2)
    return f"throttle_anon_{ip}:{int(time.time() // 60)}"


@pytest.fixture
def lookups(monkeypatch):
    """The slots ``VideoViewSet.dispatch`` asked the cache for."""
    asked = []
    real = anonymous_cache.lookup

    def spy(request, slot):
        asked.append(slot)
        return real(request, slot)

    monkeypatch.setattr(anonymous_cache, "lookup", spy)
    return asked


def test_it_answers_a_second_detail_read_with_the_same_bytes_and_no_query(api_client, django_assert_num_queries):
    video = VideoFactory()
    first = api_client.get(detail(video))
    assert first.status_code == 200 and not from_cache(first)
    with django_assert_num_queries(0):
        second = api_client.get(detail(video))
    assert from_cache(second)
    assert second.content == first.content
    assert {name: second[name] for name in HEADERS} == {name: first[name] for name in HEADERS}


def test_it_answers_a_second_list_read_with_the_same_bytes_and_no_query(api_client, django_assert_num_queries):
    VideoFactory.create_batch(3)
    first = api_client.get(LIST)
    with django_assert_num_queries(0):
        second = api_client.get(LIST)
    assert from_cache(second) and second.content == first.content
    assert {name: second[name] for name in HEADERS} == {name: first[name] for name in HEADERS}


def test_it_shows_a_new_title_at_once(api_client):
    video = VideoFactory(title="Before")
    api_client.get(detail(video)), api_client.get(LIST)
    assert from_cache(api_client.get(detail(video))) and from_cache(api_client.get(LIST))
    services.video_update(video=video, title="After")
    assert api_client.get(detail(video)).json()["title"] == "After"
    assert titles(api_client.get(LIST)) == ["After"]
    assert from_cache(api_client.get(LIST))  # filed again, fresh


def test_it_lists_a_video_made_public(api_client, alice):
    VideoFactory(author=alice, title="Shown")
    hidden = VideoFactory(author=alice, title="Hidden", visibility="private")
    assert titles(api_client.get(LIST)) == ["Shown"]
    assert from_cache(api_client.get(LIST))
    services.video_update(video=hidden, visibility="public")
    assert sorted(titles(api_client.get(LIST))) == ["Hidden", "Shown"]


def test_it_drops_a_deleted_video(api_client):
    VideoFactory(title="Kept")
    gone = VideoFactory(title="Gone")
    url = detail(gone)
    assert sorted(titles(api_client.get(LIST))) == ["Gone", "Kept"]
    api_client.get(url)
    assert from_cache(api_client.get(url)) and from_cache(api_client.get(LIST))
    services.video_delete(video=gone)
    assert titles(api_client.get(LIST)) == ["Kept"]
    assert api_client.get(url).status_code == 404


def test_it_shows_an_authors_new_name_in_list_and_detail(api_client):
    """The cascade user -> video -> video_list: the author is embedded in both renderings."""
    author = UserFactory(display_name="Old name")
    video = VideoFactory(author=author)
    api_client.get(detail(video)), api_client.get(LIST)
    assert from_cache(api_client.get(detail(video))) and from_cache(api_client.get(LIST))
    user_profile_update(user=author, display_name="New name")
    assert api_client.get(detail(video)).json()["author"]["display_name"] == "New name"
    assert [v["author"]["display_name"] for v in api_client.get(LIST).json()["results"]] == ["New name"]


def test_it_renders_list_and_detail_again_after_an_authors_ban(api_client):
    """A ban invalidates the author (cascade user -> video -> video_list). (The video policy does
    not hide a banned author's videos from anonymous readers, cached or not.)"""
    banned, other = UserFactory(), UserFactory()
    video = VideoFactory(author=banned, title="Banned")
    VideoFactory(author=other, title="Other")
    api_client.get(detail(video)), api_client.get(LIST)
    assert from_cache(api_client.get(detail(video))) and from_cache(api_client.get(LIST))
    user_ban(user=banned, by=None, reason="spam")
    assert not from_cache(api_client.get(detail(video)))
    assert not from_cache(api_client.get(LIST))


def test_it_keeps_a_list_page_no_longer_than_until_the_next_scheduled_video(api_client):
    VideoFactory()
    VideoFactory(published_at=timezone.now() + timedelta(seconds=90))
    assert 0 < representations.seconds_until(representations.video_list_due()) <= 90
    assert len(api_client.get(LIST).json()["results"]) == 1
    assert 0 < cache.ttl(list_key()) <= 90


def test_it_keeps_a_list_page_for_the_hydration_ttl_without_scheduled_videos(api_client, settings):
    VideoFactory()
    assert representations.seconds_until(representations.video_list_due()) in (
        settings.HYDRATION_TTL_S,
        settings.HYDRATION_TTL_S - 1,
    )
    api_client.get(LIST)
    assert settings.HYDRATION_TTL_S - 5 < cache.ttl(list_key()) <= settings.HYDRATION_TTL_S


def test_it_never_keeps_a_page_rendered_before_a_scheduled_video_went_out(api_client, monkeypatch):
    VideoFactory(title="Out")
    due = timezone.now() + timedelta(seconds=1.5)
    VideoFactory(title="Scheduled", published_at=due)
    real = representations.video_page

    def render_then_wait(**kwargs):  # the publish moment passes while the page is being answered
        page = real(**kwargs)
        time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.1)
        return page

    monkeypatch.setattr(representations, "video_page", render_then_wait)
    first = titles(api_client.get(LIST))
    monkeypatch.undo()
    if first != ["Out"]:
        pytest.skip("the page was rendered after the publish moment (a slow machine)")
    assert sorted(titles(api_client.get(LIST))) == ["Out", "Scheduled"]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("detail", {"HTTP_ACCEPT": "text/html"}),
        ("list", {"HTTP_ACCEPT": "text/html"}),
        ("detail?format=json", {}),
        ("list?format=json", {}),
        ("list?page_size=5", {}),
        ("list?page=6", {}),
        ("list?page=1&page=1", {}),
    ],
)
def test_it_leaves_other_request_shapes_to_drf(api_client, lookups, path, extra):
    video = VideoFactory()
    api_client.get(detail(video)), api_client.get(LIST)  # both filed
    lookups.clear()
    base, _, query = path.partition("?")
    url = (detail(video) if base == "detail" else LIST) + (f"?{query}" if query else "")
    response = api_client.get(url, **extra)
    assert lookups == [] and not from_cache(response)


def test_it_leaves_signed_in_readers_to_drf(api_client, bob, bob_client, lookups):
    video = VideoFactory()
    api_client.get(detail(video)), api_client.get(LIST)
    lookups.clear()
    for url in (detail(video), LIST):
        assert not from_cache(bob_client.get(url))
    api_client.force_login(bob)
    for url in (detail(video), LIST):
        assert not from_cache(api_client.get(url))
    assert lookups == []


def test_it_leaves_head_requests_to_drf(api_client, lookups):
    video = VideoFactory()
    api_client.get(detail(video)), api_client.get(LIST)
    lookups.clear()
    for url in (detail(video), LIST):
        response = api_client.head(url)
        assert response.status_code == 200 and not from_cache(response)
    assert lookups == []


def test_it_never_files_a_video_blocked_in_some_territory(api_client):
    video = VideoFactory()
    block(video, territories=",DE,")
    for _ in range(2):
        response = api_client.get(detail(video), HTTP_CF_IPCOUNTRY="FR")
        assert response.status_code == 200 and not from_cache(response)
    assert cache.get(detail_key(video)) is None
    assert api_client.get(detail(video), HTTP_CF_IPCOUNTRY="DE").status_code == 404


def test_it_files_list_pages_per_country(api_client):
    VideoFactory()
    france = api_client.get(LIST, HTTP_CF_IPCOUNTRY="FR")
    germany = api_client.get(LIST, HTTP_CF_IPCOUNTRY="DE")  # a miss: another slot
    assert not from_cache(germany) and germany.content == france.content
    assert cache.get(list_key(country="FR")) is not None and cache.get(list_key(country="DE")) is not None
    assert from_cache(api_client.get(LIST, HTTP_CF_IPCOUNTRY="FR"))


def test_it_shares_a_list_page_only_when_nothing_on_it_is_blocked_anywhere(api_client):
    VideoFactory(title="Free")
    block(VideoFactory(title="Blocked in DE"), territories=",DE,")
    assert titles(api_client.get(LIST, HTTP_CF_IPCOUNTRY="DE")) == ["Free"]
    assert sorted(titles(api_client.get(LIST, HTTP_CF_IPCOUNTRY="FR"))) == ["Blocked in DE", "Free"]
    assert cache.get(list_key(country="DE")) is not None
    assert cache.get(list_key(country="FR")) is None
    assert not from_cache(api_client.get(LIST, HTTP_CF_IPCOUNTRY="FR"))


def test_it_throttles_cached_reads(api_client, settings):
    video = VideoFactory()
    api_client.get(detail(video), REMOTE_ADDR="10.9.9.9")  # filed, on another reader's budget
    anon_rate(settings, "2/min")
    window_key()
    responses = [api_client.get(detail(video)) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert from_cache(responses[0]) and from_cache(responses[1])
    assert responses[2].json()["code"] == "throttled"
    assert 1 <= int(responses[2]["Retry-After"]) <= 60


def test_it_counts_each_anonymous_read_once(api_client):
    video = VideoFactory()
    key = window_key()
    for count, url in enumerate([detail(video), detail(video), LIST, LIST], start=1):  # miss, hit, miss, hit
        assert api_client.get(url).status_code == 200
        assert cache.get(key) == count


def test_it_answers_from_drf_while_redis_is_down(outage_redis, api_client):
    video = VideoFactory()
    warm = api_client.get(detail(video))
    api_client.get(LIST)
    outage_redis.kill()
    response = api_client.get(detail(video))
    assert response.status_code == 200 and not from_cache(response)
    assert response.json() == warm.json()
    assert api_client.get(LIST).status_code == 200


def block(video, *, territories: str) -> Claim:
    holder = UserFactory()
    RightsHolder.objects.create(user=holder, name=f"Label {holder.pk}")
    return Claim.objects.create(
        video=video, claimant=holder, uploader=video.author, policy="block", territories=territories,
        duration_ms=1000, status=Claim.Status.ACTIVE, source=Claim.Source.MANUAL,
    )  # fmt: skip

"""The video hydration cache (``videos.api.representations``): every write path makes the very next
GET show the new state, access stays exact, and the cache is only ever an optimisation."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Block, User
from accounts.tests.factories import UserFactory
from conftest import bearer_client
from socialflow.core.moderation import moderation_mark_sensitive
from socialflow.hydration import hydration_read
from videos import counters, services
from videos.models import Video
from videos.services.transcode import Claim, _ProgressWriter
from videos.tests.factories import VideoFactory
from videos.tests.test_api import _with_media
from videos.tests.test_studio_thumbnail import _png


@pytest.fixture
def moderator(db):
    return UserFactory(username="mod", role=User.Role.MODERATOR, is_staff=True)


@pytest.fixture
def video(alice):
    return _with_media(VideoFactory(author=alice))


def _url(video) -> str:
    return f"/api/v1/videos/{video.pk}"


def _cached(video) -> bool:
    hits, _ = hydration_read(kind="video", ids=[video.pk])
    return video.pk in hits


def _warm(client, video) -> dict:
    body = client.get(_url(video)).json()
    assert _cached(video)
    return body


def test_it_serves_a_public_video_from_the_cache_as_it_renders_it(api_client, video, django_assert_num_queries):
    first = api_client.get(_url(video)).json()
    with django_assert_num_queries(0):
        assert api_client.get(_url(video)).json() == first
    assert api_client.get("/api/v1/videos").json()["results"] == [
        {k: v for k, v in first.items() if k not in ("viewer_reaction", "original_url")}
    ]


# --- every write path invalidates -----------------------------------------------------------------


def test_an_edit_shows_at_once(api_client, video):
    _warm(api_client, video)
    services.video_update(video=video, title="New title", tags=["fresh"])
    body = api_client.get(_url(video)).json()
    assert (body["title"], body["tags"]) == ("New title", ["fresh"])


@pytest.mark.parametrize(
    "change",
    [
        {"visibility": "private"},
        {"visibility": "followers"},
        {"published_at": timezone.now() + timedelta(days=1)},
    ],
)
def test_a_video_that_leaves_public_view_is_gone_at_once(api_client, bob_client, video, change):
    _warm(api_client, video)
    services.video_update(video=video, **change)
    assert api_client.get(_url(video)).status_code == 404
    assert bob_client.get(_url(video)).status_code == 404
    assert video.pk not in [int(v["id"]) for v in api_client.get("/api/v1/videos").json()["results"]]


def test_a_deleted_video_is_gone_at_once(api_client, video):
    _warm(api_client, video)
    services.video_delete(video=Video.objects.get(pk=video.pk))
    assert api_client.get(_url(video)).status_code == 404


def test_a_moderator_removal_and_restore_show_at_once(api_client, video, moderator):
    _warm(api_client, video)
    services.video_hide(video=video, by=moderator, reason="spam")
    assert api_client.get(_url(video)).status_code == 404
    services.video_restore(video=video, by=moderator)
    assert api_client.get(_url(video)).status_code == 200


def test_a_sensitive_mark_shows_at_once(api_client, video, moderator):
    _warm(api_client, video)
    moderation_mark_sensitive(actor=moderator, target=video, sensitive=True, reason="gore")
    assert api_client.get(_url(video)).json()["sensitive"] is True


def test_a_new_thumbnail_shows_at_once(api_client, video):
    before = _warm(api_client, video)["thumbnail_url"]
    services.video_thumbnail_set(video=video, image_file=_png(64, 36))
    after = api_client.get(_url(video)).json()["thumbnail_url"]
    assert after != before and "/custom/" in after


def test_likes_and_comments_show_at_once(api_client, bob, video):
    _warm(api_client, video)
    services.video_react(user=bob, video=video, kind="like")
    assert api_client.get(_url(video)).json()["likes_count"] == 1
    services.comment_create(video=video, author=bob, text="hi")
    assert api_client.get(_url(video)).json()["comments_count"] == 1
    services.video_unreact(user=bob, video=video, kind="like")
    assert api_client.get(_url(video)).json()["likes_count"] == 0


def test_flushed_views_show_at_once(api_client, video):
    """The heartbeat flush adds views with ``queryset.update``."""
    _warm(api_client, video)
    with transaction.atomic():
        counters._apply(Counter({video.pk: 5}))
    assert api_client.get(_url(video)).json()["views_count"] == 5


def test_transcode_state_shows_at_once(api_client, video):
    _warm(api_client, video)
    video.source_name = f"videos/{video.pk}/source/original.mp4"
    video.save(update_fields=["source_name"])
    services.video_retranscode(video=video)  # processing, still playable on the old generation
    assert api_client.get(_url(video)).json()["status"] == "processing"
    _warm(api_client, video)
    Video.objects.filter(pk=video.pk).update(claim_token="tok")
    _ProgressWriter(Claim(video_id=video.pk, token="tok"))(40)
    assert api_client.get(_url(video)).json()["progress"] == 40
    _warm(api_client, video)
    services.video_mark_failed(video_id=video.pk, error="boom")
    assert api_client.get(_url(video)).status_code == 404  # failed: not playable


def test_the_authors_profile_shows_at_once(api_client, alice, video):
    _warm(api_client, video)
    account_services.user_profile_update(user=alice, display_name="Alice B.")
    assert api_client.get(_url(video)).json()["author"]["display_name"] == "Alice B."
    assert api_client.get("/api/v1/videos").json()["results"][0]["author"]["display_name"] == "Alice B."


@pytest.mark.parametrize("action", ["ban", "delete"])
def test_an_author_banned_or_deleted_gets_what_the_database_says(api_client, alice, moderator, video, action):
    _warm(api_client, video)
    if action == "ban":
        account_services.user_ban(user=alice, by=moderator, reason="abuse")
    else:
        account_services.user_delete(user=alice)
    assert not _cached(video)
    through_cache = api_client.get(_url(video)).status_code
    cache.clear()
    assert api_client.get(_url(video)).status_code == through_cache


def test_a_purged_author_takes_their_videos_along(api_client, alice, video, settings):
    _warm(api_client, video)
    account_services.user_delete(user=alice)
    settings.ACCOUNT_PURGE_AFTER = timedelta(0)
    account_services.user_purge(user_id=alice.pk)
    assert api_client.get(_url(video)).status_code == 404


# --- access on a warm entry -----------------------------------------------------------------------


def test_a_block_either_way_hides_a_cached_video(api_client, alice, bob, video):
    _warm(api_client, video)
    Block.objects.create(blocker=alice, blocked=bob)
    assert bearer_client(bob).get(_url(video)).status_code == 404


def test_the_viewer_part_is_added_per_request(api_client, alice, bob, video):
    _warm(api_client, video)
    services.video_react(user=bob, video=video, kind="like")
    _warm(api_client, video)
    assert bearer_client(bob).get(_url(video)).json()["viewer_reaction"] == "like"
    assert bearer_client(UserFactory()).get(_url(video)).json()["viewer_reaction"] is None
    video.source_name = f"videos/{video.pk}/source/original.mp4"
    video.save(update_fields=["source_name"])
    services.video_update(video=video, title="t")
    _warm(api_client, video)
    assert bearer_client(alice).get(_url(video)).json()["original_url"]  # the owner: uncached path
    assert api_client.get(_url(video)).json()["original_url"] is None


def test_a_followers_only_video_is_never_cached(alice, bob, bob_client):
    from accounts.models import Follow

    Follow.objects.create(follower=bob, followee=alice)
    video = _with_media(VideoFactory(author=alice, visibility="followers"))
    body = bob_client.get(_url(video)).json()
    assert "/media/s/" in body["hls_url"]  # signed, expiring links: viewer- and time-dependent
    assert not _cached(video)
    bob_client.get("/api/v1/videos")
    assert not _cached(video)


def test_it_reads_the_database_while_redis_is_down(outage_redis, api_client, video):
    _warm(api_client, video)
    outage_redis.kill()
    services.video_update(video=video, title="While down")
    assert api_client.get(_url(video)).json()["title"] == "While down"
    assert api_client.get("/api/v1/videos").status_code == 200


def test_the_list_pages_and_counts_as_before(api_client, alice):
    for _ in range(23):
        VideoFactory(author=alice)
    first = api_client.get("/api/v1/videos?page_size=10").json()
    assert first["count"] == 23 and len(first["results"]) == 10 and first["previous"] is None
    assert "page=2" in first["next"]
    last = api_client.get("/api/v1/videos?page_size=10&page=3").json()
    assert (last["count"], len(last["results"]), last["next"]) == (23, 3, None)
    ids = [
        v["id"]
        for page in (1, 2, 3)
        for v in api_client.get(f"/api/v1/videos?page_size=10&page={page}").json()["results"]
    ]
    assert len(set(ids)) == 23
    assert api_client.get("/api/v1/videos?page=4&page_size=10").status_code == 404
    assert api_client.get("/api/v1/videos?page=last&page_size=10").json()["results"] == last["results"]
    assert api_client.get("/api/v1/videos?page=x").status_code == 404

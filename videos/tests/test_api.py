"""The video resource: detail shape, visibility, list/search, edits, reactions, views, up-next."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import Block, Follow
from videos.models import Tag, Video
from videos.tests.factories import VideoFactory

API_FIELDS = {
    "id",
    "title",
    "description",
    "author",
    "status",
    "progress",
    "error",
    "duration_ms",
    "width",
    "height",
    "renditions",
    "hls_url",
    "thumbnail_url",
    "preview_sprite_url",
    "views_count",
    "likes_count",
    "comments_count",
    "visibility",
    "published_at",
}


def test_it_shows_a_video_with_the_api_fields(api_client, alice):
    video = VideoFactory(author=alice)
    # Media names start with the video's own id (whatever the sequence gave it: PostgreSQL does not
    # reset sequences between tests).
    video.renditions = [
        {"height": 720, "width": 1280, "bitrate": 2_000_000, "playlist": f"videos/{video.pk}/g/720p/index.m3u8"}
    ]
    video.master_playlist = f"videos/{video.pk}/g/master.m3u8"
    video.save(update_fields=["renditions", "master_playlist"])
    body = api_client.get(f"/api/v1/videos/{video.pk}").json()
    assert set(body) >= API_FIELDS
    assert body["id"] == str(video.pk) and isinstance(body["author"]["id"], str)
    assert body["author"]["username"] == "alice"
    assert body["renditions"] == [
        {
            "height": 720,
            "width": 1280,
            "bitrate": 2_000_000,
            "playlist_url": f"{settings.SITE_URL}/media/videos/{video.pk}/g/720p/index.m3u8",
        }
    ]
    assert (
        body["hls_url"] == f"{settings.SITE_URL}/media/videos/{video.pk}/g/master.m3u8"
    )  # absolute for apps and players
    assert body["error"] is None
    assert api_client.get(f"/api/v1/videos/{video.pk}/").status_code == 200


def test_it_answers_404_for_unknown_ids(api_client, db):
    assert api_client.get("/api/v1/videos/999999").status_code == 404
    assert api_client.get("/api/v1/videos/abc").status_code == 404


@pytest.mark.parametrize(
    "visibility, anonymous, other, owner",
    [
        ("public", 200, 200, 200),
        ("unlisted", 200, 200, 200),
        ("private", 404, 404, 200),
        ("members", 404, 404, 200),
        ("followers", 404, 404, 200),
    ],
)
def test_it_applies_visibility_rules(api_client, alice_client, bob_client, alice, visibility, anonymous, other, owner):
    video = VideoFactory(author=alice, visibility=visibility)
    url = f"/api/v1/videos/{video.pk}"
    assert api_client.get(url).status_code == anonymous
    assert bob_client.get(url).status_code == other
    assert alice_client.get(url).status_code == owner


def test_it_shows_followers_only_videos_to_followers(bob_client, alice, bob):
    video = VideoFactory(author=alice, visibility="followers")
    Follow.objects.create(follower=bob, followee=alice)
    assert bob_client.get(f"/api/v1/videos/{video.pk}").status_code == 200
    assert [v["id"] for v in bob_client.get("/api/v1/videos").json()["results"]] == [str(video.pk)]


def test_it_hides_unfinished_hidden_and_scheduled_videos_from_others(api_client, alice_client, alice):
    processing = VideoFactory(author=alice, status="processing")
    hidden = VideoFactory(author=alice, moderation_status="removed")
    scheduled = VideoFactory(author=alice, published_at=timezone.now() + timedelta(days=1))
    for video in (processing, hidden, scheduled):
        assert api_client.get(f"/api/v1/videos/{video.pk}").status_code == 404
        assert alice_client.get(f"/api/v1/videos/{video.pk}").status_code == 200
    assert alice_client.get(f"/api/v1/videos/{scheduled.pk}").json()["is_scheduled"] is True
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert api_client.get(f"/api/v1/videos/{scheduled.pk}").status_code == 200


def test_it_hides_videos_across_blocks(bob_client, alice, bob):
    video = VideoFactory(author=alice)
    Block.objects.create(blocker=alice, blocked=bob)
    assert bob_client.get(f"/api/v1/videos/{video.pk}").status_code == 404
    assert bob_client.get("/api/v1/videos").json()["results"] == []


def test_it_lists_only_listed_videos(api_client, alice):
    public = VideoFactory(author=alice)
    VideoFactory(author=alice, visibility="unlisted")
    VideoFactory(author=alice, visibility="private")
    VideoFactory(author=alice, status="failed")
    body = api_client.get("/api/v1/videos").json()
    assert [v["id"] for v in body["results"]] == [str(public.pk)]
    assert {"next", "previous", "results"} <= set(body)


def test_it_lists_all_my_videos_when_filtering_by_me(alice_client, alice, bob):
    mine = [VideoFactory(author=alice, visibility="private"), VideoFactory(author=alice, status="processing")]
    VideoFactory(author=bob)
    body = alice_client.get("/api/v1/videos?author=alice").json()
    assert {v["id"] for v in body["results"]} == {str(v.pk) for v in mine}


def test_it_filters_by_author_tag_and_query(api_client, alice, bob):
    cats = VideoFactory(author=alice, title="Funny cats compilation")
    cats.tags.add(Tag.objects.create(name="cats"))
    VideoFactory(author=bob, title="Dogs at the beach", description="no felines")
    assert [v["id"] for v in api_client.get("/api/v1/videos?author=alice").json()["results"]] == [str(cats.pk)]
    assert [v["id"] for v in api_client.get("/api/v1/videos?tag=cats").json()["results"]] == [str(cats.pk)]
    assert [v["id"] for v in api_client.get("/api/v1/videos?q=cats").json()["results"]] == [str(cats.pk)]
    assert api_client.get("/api/v1/videos?q=zebra").json()["results"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/videos?q=a%00b",
        "/api/v1/videos?author=a%00b",
        "/api/v1/videos?tag=a%00b",
        "/api/v1/videos?ordering=a%00b",
        "/api/v1/playlists?owner=a%00b",
    ],
)
def test_it_refuses_null_characters_in_list_filters(api_client, db, url):
    """PostgreSQL cannot take a NUL in a query: a 400 naming the parameter, not a 500."""
    response = api_client.get(url)
    assert response.status_code == 400
    assert "Null characters" in str(response.json())


def test_it_orders_the_list(api_client, alice):
    low = VideoFactory(author=alice, views_count=1)
    high = VideoFactory(author=alice, views_count=100)
    ids = [v["id"] for v in api_client.get("/api/v1/videos?ordering=-views_count").json()["results"]]
    assert ids == [str(high.pk), str(low.pk)]


def test_it_lists_within_a_query_budget(api_client, bob_client, alice, django_assert_max_num_queries):
    for i in range(15):
        VideoFactory(author=alice).tags.add(Tag.objects.get_or_create(name=f"t{i % 3}")[0])
    # Cold: the page's ids with the count, then the videos (with authors), their tags, public media,
    # and when the next scheduled video goes out (how long the rendered anonymous page may be kept).
    with django_assert_max_num_queries(5):
        assert len(api_client.get("/api/v1/videos").json()["results"]) == 15
    with django_assert_max_num_queries(10):
        assert len(bob_client.get("/api/v1/videos?q=video").json()["results"]) == 15


def _with_media(video: Video) -> Video:
    """Give ``video`` a published generation's names (renditions, playlist, poster, sprite)."""
    g = f"videos/{video.pk}/g1"
    video.renditions = [
        {"height": h, "width": h * 16 // 9, "bitrate": h * 3000, "playlist": f"{g}/{h}p/index.m3u8"} for h in (720, 360)
    ]
    video.master_playlist, video.thumbnail = f"{g}/master.m3u8", f"{g}/poster.jpg"
    video.preview_sprite, video.preview_vtt, video.media_prefix = f"{g}/sprite.jpg", f"{g}/sprite.vtt", g
    video.save()
    return video


def test_it_lists_videos_with_media_within_a_query_budget(api_client, bob_client, alice, django_assert_max_num_queries):
    for i in range(15):
        _with_media(VideoFactory(author=alice)).tags.add(Tag.objects.get_or_create(name=f"t{i % 3}")[0])
    # Whether each video's media is public is decided for the whole page at once, not per video.
    with django_assert_max_num_queries(5):
        body = api_client.get("/api/v1/videos").json()
    assert len(body["results"]) == 15 and all(v["hls_url"] and "/media/s/" not in v["hls_url"] for v in body["results"])
    # Warm: an anonymous reader gets the rendered page (socialflow.api.anonymous_cache).
    with django_assert_max_num_queries(0):
        assert api_client.get("/api/v1/videos").json() == body
    with django_assert_max_num_queries(3):  # the user, last seen, the ids
        assert bob_client.get("/api/v1/videos").json() == body


def test_it_shows_a_video_within_a_query_budget(
    api_client, bob_client, alice, django_assert_max_num_queries, django_assert_num_queries
):
    video = _with_media(VideoFactory(author=alice))
    video.tags.add(Tag.objects.get_or_create(name="t")[0])
    # The video, its tags, the copyright rule (asked once: an anonymous viewer's can_view is the
    # question media URLs ask too).
    with django_assert_max_num_queries(3):
        assert api_client.get(f"/api/v1/videos/{video.pk}").json()["tags"] == ["t"]
    # The user, last seen, the video, its tags, blocks, the copyright rule for bob and for anyone
    # (media URLs), bob's reaction.
    with django_assert_max_num_queries(8):
        assert bob_client.get(f"/api/v1/videos/{video.pk}").status_code == 200
    # Warm (the hydration cache filled by the first read): nothing for an anonymous viewer; for bob
    # the user, last seen, blocks and his reaction.
    with django_assert_num_queries(0):
        assert api_client.get(f"/api/v1/videos/{video.pk}").json()["tags"] == ["t"]
    with django_assert_max_num_queries(4):
        assert bob_client.get(f"/api/v1/videos/{video.pk}").json()["viewer_reaction"] is None


@pytest.mark.parametrize("visibility", ["public", "followers", "private"])
@time_machine.travel("2026-06-01 12:00:00+00:00", tick=False)  # signed links expire at the same second
def test_it_represents_videos_as_drf_would(rf, alice, bob, visibility):
    """The hand-written ``to_representation`` of the video shapes is DRF's generic one, key for key."""
    from rest_framework import serializers

    from videos import selectors
    from videos.api.serializers import VideoDetailSerializer, VideoSerializer

    Follow.objects.create(follower=bob, followee=alice)
    made = [
        _with_media(VideoFactory(author=alice, visibility=visibility, sensitive=True, error="x", views_count=7)),
        VideoFactory(author=alice, visibility=visibility, published_at=None, duration_ms=None, width=None),
        VideoFactory(author=alice, visibility=visibility, published_at=timezone.now() + timedelta(days=1)),
    ]
    made[0].tags.add(Tag.objects.get_or_create(name="b")[0], Tag.objects.get_or_create(name="a")[0])
    request = rf.get("/")
    for viewer in (alice, bob):
        for made_video in made:
            video = selectors.video_get_visible(video_id=made_video.pk, viewer=alice)
            context = {"request": request, "viewer": viewer, "viewer_reaction": "like"}
            for shape in (VideoSerializer, VideoDetailSerializer):
                fast = shape(video, context=context).data
                generic = serializers.ModelSerializer.to_representation(shape(video, context=context), video)
                assert list(fast.items()) == list(generic.items())


def test_it_lets_the_owner_edit(alice_client, bob_client, api_client, alice):
    video = VideoFactory(author=alice)
    url = f"/api/v1/videos/{video.pk}"
    response = alice_client.patch(
        url, {"title": "New", "tags": ["#Fun", "fun", "Travel Vlog"], "visibility": "unlisted"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == ["fun", "travel-vlog"]
    video.refresh_from_db()
    assert video.title == "New" and video.visibility == "unlisted"
    assert bob_client.patch(url, {"title": "Hacked"}).status_code == 403
    assert api_client.patch(url, {"title": "Hacked"}).status_code == 401


def test_it_validates_edits(alice_client, alice):
    url = f"/api/v1/videos/{VideoFactory(author=alice).pk}"
    assert alice_client.patch(url, {"title": ""}).status_code == 400
    assert alice_client.patch(url, {"title": "x" * 256}).status_code == 400
    assert alice_client.patch(url, {"description": "x" * 5001}).status_code == 400
    assert alice_client.patch(url, {"tags": [f"t{i}" for i in range(21)]}).status_code == 400
    assert alice_client.patch(url, {"visibility": "secret"}).status_code == 400


def test_it_hides_private_videos_from_editors_who_cannot_see_them(bob_client, alice):
    video = VideoFactory(author=alice, visibility="private")
    assert bob_client.patch(f"/api/v1/videos/{video.pk}", {"title": "x"}).status_code == 404
    assert bob_client.delete(f"/api/v1/videos/{video.pk}").status_code == 404


def test_it_lets_the_owner_delete(alice_client, bob_client, alice, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    alice.videos_count = 1
    alice.save(update_fields=["videos_count"])
    assert bob_client.delete(f"/api/v1/videos/{video.pk}").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.delete(f"/api/v1/videos/{video.pk}").status_code == 204
    assert not Video.objects.filter(pk=video.pk).exists()
    alice.refresh_from_db()
    assert alice.videos_count == 0


def test_it_likes_and_dislikes_exclusively(alice_client, bob_client, api_client, bob):
    video = VideoFactory(author=bob)
    url = f"/api/v1/videos/{video.pk}"
    assert alice_client.post(f"{url}/like").json() == {"likes_count": 1, "dislikes_count": 0, "viewer_reaction": "like"}
    assert alice_client.post(f"{url}/like").json()["likes_count"] == 1  # idempotent
    body = alice_client.post(f"{url}/dislike").json()
    assert body == {"likes_count": 0, "dislikes_count": 1, "viewer_reaction": "dislike"}
    assert alice_client.delete(f"{url}/like").json()["dislikes_count"] == 1  # not liked: nothing changes
    assert alice_client.delete(f"{url}/dislike").json() == {
        "likes_count": 0,
        "dislikes_count": 0,
        "viewer_reaction": None,
    }
    assert api_client.post(f"{url}/like").status_code == 401
    bob_client.post(f"{url}/like")
    assert alice_client.get(url).json()["likes_count"] == 1


def test_it_counts_a_view_after_ten_seconds_once_per_day(
    api_client, bob_client, alice, django_capture_on_commit_callbacks
):
    from videos.tasks import flush_view_counts

    video = VideoFactory(author=alice, duration_ms=60_000)
    url = f"/api/v1/videos/{video.pk}"
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller, django_capture_on_commit_callbacks(execute=True):
        view_id = bob_client.post(f"{url}/views").json()["view_id"]
        traveller.shift(5)
        body = bob_client.post(f"{url}/watch", {"view_id": view_id, "position_ms": 5000, "watched_ms": 5000}).json()
        assert body["counted"] is False
        traveller.shift(6)
        body = bob_client.post(f"{url}/watch", {"view_id": view_id, "position_ms": 11000, "watched_ms": 11000}).json()
        assert body["counted"] is True and body["watched_ms"] == 11000
        # A second session the same day does not count again.
        second = bob_client.post(f"{url}/views").json()["view_id"]
        traveller.shift(20)
        assert (
            bob_client.post(f"{url}/watch", {"view_id": second, "position_ms": 15000, "watched_ms": 15000}).json()[
                "counted"
            ]
            is False
        )
        # An anonymous viewer is another viewer.
        anon = api_client.post(f"{url}/views").json()["view_id"]
        traveller.shift(20)
        assert (
            api_client.post(f"{url}/watch", {"view_id": anon, "position_ms": 12000, "watched_ms": 12000}).json()[
                "counted"
            ]
            is True
        )
    assert flush_view_counts() == 2
    video.refresh_from_db()
    assert video.views_count == 2


def test_it_refuses_implausible_watch_time(bob_client, alice):
    video = VideoFactory(author=alice)
    url = f"/api/v1/videos/{video.pk}"
    view_id = bob_client.post(f"{url}/views").json()["view_id"]
    body = bob_client.post(f"{url}/watch", {"view_id": view_id, "position_ms": 0, "watched_ms": 3_600_000}).json()
    assert body["counted"] is False and body["watched_ms"] < 10_000


def test_it_rejects_heartbeats_for_someone_elses_view(bob_client, charlie_client, alice):
    video = VideoFactory(author=alice)
    url = f"/api/v1/videos/{video.pk}"
    view_id = bob_client.post(f"{url}/views").json()["view_id"]
    assert (
        charlie_client.post(f"{url}/watch", {"view_id": view_id, "position_ms": 0, "watched_ms": 1}).status_code == 404
    )
    assert bob_client.post(f"{url}/watch", {"view_id": "nope", "position_ms": 0, "watched_ms": 1}).status_code == 400


def test_it_recommends_up_next(api_client, alice, bob):
    tag = Tag.objects.create(name="cooking")
    current = VideoFactory(author=alice)
    current.tags.add(tag)
    same_author = VideoFactory(author=alice)
    same_tag = VideoFactory(author=bob)
    same_tag.tags.add(tag)
    unrelated = VideoFactory(author=bob)  # last: the popularity fallback
    VideoFactory(author=alice, visibility="unlisted")
    ids = [v["id"] for v in api_client.get(f"/api/v1/videos/{current.pk}/up-next").json()["results"]]
    assert ids == [str(same_author.pk), str(same_tag.pk), str(unrelated.pk)]

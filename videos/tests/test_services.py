"""Services and selectors: counters, views, notifications, contracts used by other apps."""

import os
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Follow
from notifications.models import Notification
from socialflow.core.models import Event
from videos import counters, selectors, services
from videos.models import PendingViewCount, Video
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def test_it_folds_pending_db_counts_exactly():
    store = counters.DatabaseCounterStore()
    a, b = VideoFactory(), VideoFactory()
    for _ in range(7):
        store.add(video_id=a.pk)
    store.add(video_id=b.pk, delta=3)
    assert store.pending(video_id=a.pk) == 7
    assert store.flush() == 10
    assert store.flush() == 0
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.views_count, b.views_count) == (7, 3)
    assert not PendingViewCount.objects.exists()


def view_counted_events() -> list[tuple[int, int]]:
    return [(e.payload["video_id"], e.payload["views"]) for e in Event.objects.filter(name="view.counted")]


def test_it_records_view_counted_once_per_video_per_flush():
    store = counters.DatabaseCounterStore()
    a, b = VideoFactory(), VideoFactory()
    for _ in range(4):
        store.add(video_id=a.pk)
    store.add(video_id=b.pk, delta=2)
    assert store.flush() == 6
    assert sorted(view_counted_events()) == sorted([(a.pk, 4), (b.pk, 2)])
    store.add(video_id=a.pk)
    store.flush()
    assert store.flush() == 0
    assert sorted(view_counted_events()) == sorted([(a.pk, 4), (b.pk, 2), (a.pk, 1)])


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_it_folds_redis_counts_exactly_and_once():
    from socialflow.redis import get_redis

    client = get_redis()
    client.delete(counters.REDIS_PENDING_KEY)
    store = counters.RedisCounterStore(client)
    video = VideoFactory()
    for _ in range(5):
        store.add(video_id=video.pk)
    # A flush that died after applying but before deleting its key must not apply twice.
    client.rename(counters.REDIS_PENDING_KEY, f"{counters.REDIS_FLUSHING_PREFIX}crashed")
    counters.CounterFlush.objects.create(token="crashed")
    Video.objects.filter(pk=video.pk).update(views_count=5)
    store.add(video_id=video.pk)
    assert store.flush() == 1
    video.refresh_from_db()
    assert video.views_count == 6
    assert view_counted_events() == [(video.pk, 1)]  # the crashed flush's batch is not told again
    assert not list(client.scan_iter(match=f"{counters.REDIS_FLUSHING_PREFIX}*"))


def test_it_uses_the_store_that_every_process_shares(settings):
    store = counters.counter_store()
    expected = counters.RedisCounterStore if os.environ.get("REDIS_URL") else counters.DatabaseCounterStore
    assert isinstance(store, expected)


def test_it_counts_the_whole_of_a_short_video(alice, bob, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice, duration_ms=4000)
    with (
        time_machine.travel(timezone.now(), tick=False) as traveller,
        django_capture_on_commit_callbacks(execute=True),
    ):
        view = services.view_start(video=video, user=bob, ip="1.2.3.4", user_agent="x")
        traveller.shift(3)
        services.view_heartbeat(view=view, video=video, position_ms=3000, watched_ms=3000)
        assert view.counted_at is None
        traveller.shift(1)
        services.view_heartbeat(view=view, video=video, position_ms=4000, watched_ms=4000)
        assert view.counted_at is not None
    services.view_counts_flush()
    video.refresh_from_db()
    assert video.views_count == 1


def test_it_dedups_anonymous_viewers_by_ip_and_agent(alice):
    video = VideoFactory(author=alice, duration_ms=60_000)
    start = timezone.now()
    counted = []
    for ip, offset in (("1.1.1.1", 0), ("1.1.1.1", 60), ("2.2.2.2", 120), ("1.1.1.1", 25 * 3600)):
        with time_machine.travel(start + timedelta(seconds=offset), tick=False) as traveller:
            view = services.view_start(video=video, user=None, ip=ip, user_agent="Firefox")
            traveller.shift(11)
            services.view_heartbeat(view=view, video=video, position_ms=11000, watched_ms=11000)
            counted.append(view.counted_at is not None)
    assert counted == [True, False, True, True]  # same viewer again only after 24 h


def test_it_notifies_the_creator(alice, bob, charlie, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    with django_capture_on_commit_callbacks(execute=True):  # notifications handle the events
        services.video_react(user=bob, video=video, kind="like")
        comment = services.comment_create(video=video, author=bob, text="nice")
        services.comment_create(video=video, author=charlie, text="agreed", parent=comment)
        services.comment_like(user=charlie, comment=comment)
    kinds = set(Notification.objects.values_list("recipient__username", "kind"))
    assert ("alice", "like_video") in kinds and ("alice", "comment") in kinds
    assert ("bob", "comment_reply") in kinds and ("bob", "like_comment") in kinds


def test_it_creates_videos_from_files_for_other_apps(alice, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "recording.flv"
    path.write_bytes(b"not really a video")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        video = services.video_create_from_file(author=alice, path=path, title="Live VOD", source="live")
    assert video.status == "processing" and video.source == "live"
    assert not path.exists()  # ownership taken
    assert len(callbacks) == 1


def test_it_searches_for_other_apps(alice, bob, charlie):
    visible = VideoFactory(author=alice, title="Sourdough bread at home")
    VideoFactory(author=alice, title="Sourdough secrets", visibility="private")
    followers_only = VideoFactory(author=alice, title="Sourdough for followers", visibility="followers")
    Follow.objects.create(follower=bob, followee=alice)
    assert {v.pk for v in selectors.video_search(query="sourdough", viewer=charlie)} == {visible.pk}
    assert {v.pk for v in selectors.video_search(query="sourdough", viewer=bob)} == {visible.pk, followers_only.pk}
    assert selectors.video_get_visible(video_id=visible.pk, viewer=None) == visible


def test_it_matches_every_word_of_a_multiword_search(alice):
    """PostgreSQL's ts_rank is 1e-20 (not 0) for non-matching rows of a multi-word query: match with @@."""
    both = VideoFactory(author=alice, title="Sourdough bread", description="a starter from scratch")
    VideoFactory(author=alice, title="Sourdough pizza")
    VideoFactory(author=alice, title="Cat videos", description="nothing about baking")
    assert [v.pk for v in selectors.video_search(query="sourdough starter", viewer=None)] == [both.pk]
    assert [v.pk for v in selectors.video_list(viewer=None, q="bread sourdough")] == [both.pk]
    assert list(selectors.video_search(query="sourdough unicorn", viewer=None)) == []


def test_it_announces_a_public_video_once(alice, bob):
    Follow.objects.create(follower=bob, followee=alice)
    video = VideoFactory(author=alice, visibility="private")
    assert services.video_announce_if_due(video=video) is False
    services.video_update(video=video, visibility="public")
    assert video.announced_at is not None
    assert services.video_announce_if_due(video=video) is False
    published = Event.objects.filter(name="video.published")
    assert list(published.values_list("payload", flat=True)) == [{"video_id": video.pk, "author_id": alice.pk}]


def test_it_records_a_deleted_video_and_its_comments_in_bounded_events(alice, bob, monkeypatch):
    from videos.services import videos as video_services

    monkeypatch.setattr(video_services, "COMMENT_IDS_PER_EVENT", 2)
    video = VideoFactory(author=alice)
    top = services.comment_create(video=video, author=bob, text="a")
    ids = [top.pk] + [services.comment_create(video=video, author=alice, text=t, parent=top).pk for t in "bc"]
    video_id = video.pk
    services.video_delete(video=video)
    assert Event.objects.get(name="video.deleted").payload == {"video_id": video_id, "author_id": alice.pk}
    deleted = Event.objects.filter(name="comment.deleted").order_by("pk").values_list("payload", flat=True)
    assert list(deleted) == [
        {"comment_ids": ids[:2], "video_id": video_id},
        {"comment_ids": ids[2:], "video_id": video_id},
    ]


def test_it_hides_and_restores_for_moderation(alice):
    video = VideoFactory(author=alice)
    services.video_hide(video=video, reason="spam")
    assert not selectors.video_can_view(video=video, viewer=None)
    services.video_restore(video=video)
    assert selectors.video_can_view(video=video, viewer=None)


def test_it_keeps_comment_counters_exact_on_delete(alice, bob):
    video = VideoFactory(author=alice)
    top = services.comment_create(video=video, author=bob, text="a")
    services.comment_create(video=video, author=alice, text="b", parent=top)
    reply = services.comment_create(video=video, author=alice, text="c", parent=top)
    services.comment_delete(comment=reply)
    top.refresh_from_db()
    video.refresh_from_db()
    assert (top.replies_count, video.comments_count) == (1, 2)
    services.comment_delete(comment=top)
    video.refresh_from_db()
    assert video.comments_count == 0


def test_it_counts_a_comment_deleted_twice_once(alice, bob):
    # Two racing DELETEs load the same comment; only the one that removes the row moves the counters.
    video = VideoFactory(author=alice)
    top = services.comment_create(video=video, author=bob, text="a")
    reply = services.comment_create(video=video, author=alice, text="b", parent=top)
    services.comment_create(video=video, author=alice, text="c", parent=top)
    services.comment_create(video=video, author=bob, text="d")
    stale = type(reply).objects.get(pk=reply.pk)
    services.comment_delete(comment=reply)
    services.comment_delete(comment=stale)
    top.refresh_from_db()
    video.refresh_from_db()
    assert (top.replies_count, video.comments_count) == (1, 3)
    stale_top = type(top).objects.get(pk=top.pk)
    services.comment_delete(comment=top)
    services.comment_delete(comment=stale_top)
    video.refresh_from_db()
    assert video.comments_count == 1


def test_it_drops_a_deleted_video_from_playlist_counts(alice, bob):
    video, kept = VideoFactory(author=alice), VideoFactory(author=alice)
    playlist = services.playlist_create(owner=bob, title="Mix")
    services.playlist_item_add(playlist=playlist, video=video)
    services.playlist_item_add(playlist=playlist, video=kept)
    services.video_delete(video=video)
    playlist.refresh_from_db()
    assert (playlist.items_count, playlist.items.count()) == (1, 1)


def test_it_retranscodes_through_the_service(alice):
    video = VideoFactory(author=alice, source_name="videos/x/source/original.mp4")
    services.video_retranscode(video=video)
    assert video.status == "processing" and video.progress == 0


def test_it_counts_only_what_the_channel_shows_everyone(alice):
    video = VideoFactory(author=alice)
    VideoFactory(author=alice, visibility="private")
    services.video_count_refresh(author_id=alice.pk)
    alice.refresh_from_db()
    assert alice.videos_count == 1

    services.video_update(video=video, visibility="unlisted")
    alice.refresh_from_db()
    assert alice.videos_count == 0

    services.video_update(video=video, visibility="public")
    services.video_hide(video=video, reason="spam")
    alice.refresh_from_db()
    assert alice.videos_count == 0

    services.video_restore(video=video)
    alice.refresh_from_db()
    assert alice.videos_count == 1

"""Notifications as reactions to other apps' domain events: the same notifications the direct
calls made, made once however often the dispatch, a handler run, the fan-out or a chunk task is
delivered; and notifications about deleted content dropped."""

import pytest

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from live import services as live_services
from live.tests.factories import StreamFactory
from notifications import services, tasks
from notifications.models import FanOutChunk, FollowerFanOut, Notification
from posts import services as posts_services
from socialflow.core import events
from socialflow.core.models import Event, HandlerRun
from videos import services as videos_services
from videos.lib.ffmpeg import Plan
from videos.models import Video
from videos.services.transcode import _publish, transcode_claim
from videos.tests.factories import CommentFactory, VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled(django_capture_on_commit_callbacks):
    """Run the block's after-commit work: events dispatched and handled, fan-outs run (eager Celery)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _redeliver_everything() -> None:
    """Every message delivered a second time: dispatches, handler runs, fan-outs and their chunks."""
    for event_id in Event.objects.values_list("pk", flat=True):
        events.dispatch_event(event_id)
    for run_id in HandlerRun.objects.values_list("pk", flat=True):
        assert events.run_event_handler(run_id) == "skipped"
    for fan_out in FollowerFanOut.objects.all():
        assert tasks.fan_out_to_followers(fan_out.pk) == 0
    for chunk_id in FanOutChunk.objects.values_list("pk", flat=True):
        assert tasks.notify_followers_chunk(chunk_id) == 0


def _rows() -> list[tuple]:
    return sorted(
        Notification.objects.values_list("recipient__username", "kind", "actor__username", "target_object_id")
    )


def _opt_in(user, kind: str) -> None:
    services.preferences_update(user=user, kinds={kind: {"in_app": True}})


def test_a_post_notifies_the_replied_the_mentioned_and_followers_once(alice, bob, charlie, handled):
    dave = UserFactory(username="dave")
    Follow.objects.create(follower=dave, followee=bob)
    _opt_in(dave, "new_post")
    with handled():
        post = posts_services.post_create(author=alice, text="first")
    with handled():
        reply = posts_services.post_create(author=bob, text="@alice @charlie see", reply_to_id=post.pk)
        news = posts_services.post_create(author=bob, text="news")
    expected = [
        ("alice", "reply", "bob", str(reply.pk)),  # replied to and mentioned: one notification
        ("charlie", "mention", "bob", str(reply.pk)),
        ("dave", "new_post", "bob", str(news.pk)),  # the reply is no news to followers
    ]
    assert _rows() == expected
    assert Notification.objects.get(kind="reply").data["excerpt"] == "@alice @charlie see"

    _redeliver_everything()
    assert _rows() == expected


def test_a_dispatch_delivered_twice_before_it_ran_notifies_once(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = posts_services.post_create(author=alice, text="hi")
    with django_capture_on_commit_callbacks(execute=False):  # the dispatch message is still on its way
        posts_services.like_create(user=bob, post=post)
    event = Event.objects.get(name="post.liked")
    events.dispatch_event(event.pk)
    events.dispatch_event(event.pk)
    assert _rows() == [("alice", "like_post", "bob", str(post.pk))]
    assert Notification.objects.get().actors_count == 1


def test_a_ready_video_tells_its_owner_and_followers_once(alice, bob, handled, tmp_path):
    Follow.objects.create(follower=bob, followee=alice)
    video = VideoFactory(
        author=alice, title="Sunset", status=Video.Status.PROCESSING, source_name="x.mp4", published_at=None
    )
    claim = transcode_claim(video_id=video.pk)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "master.m3u8").write_text("#EXTM3U\n")
    plan = Plan(
        rungs=[],
        has_audio=False,
        duration_s=1.0,
        segment_s=2,
        sprite_interval_s=1.0,
        sprite_count=0,
        sprite_rows=0,
        sprite_thumb_w=0,
        sprite_thumb_h=0,
        poster_at_s=0.0,
    )
    with handled():
        assert _publish(claim=claim, out_dir=out_dir, plan=plan, final=True, extras=False)
    expected = [("alice", "video_ready", None, str(video.pk)), ("bob", "new_video", "alice", str(video.pk))]
    assert _rows() == expected
    ready = Notification.objects.get(kind="video_ready")
    assert ready.data["title"] == "Sunset"
    assert ready.data["url"] == f"/studio/videos/{video.pk}/"

    _redeliver_everything()
    assert _rows() == expected


def test_a_stream_going_live_tells_followers_once(alice, bob, charlie, handled):
    Follow.objects.create(follower=bob, followee=alice)
    Follow.objects.create(follower=charlie, followee=alice)
    stream = StreamFactory(owner=alice, title="Cooking live")
    with handled():
        live_services.stream_go_live(stream=stream)
    expected = [
        ("bob", "live_started", "alice", str(stream.pk)),
        ("charlie", "live_started", "alice", str(stream.pk)),
    ]
    assert _rows() == expected
    assert Notification.objects.filter(kind="live_started").first().data == {
        "title": "Cooking live",
        "stream_id": str(stream.pk),
    }

    _redeliver_everything()
    assert _rows() == expected


def test_a_chunk_racing_its_duplicate_creates_each_row_once(alice, bob, charlie, target, monkeypatch):
    """Two deliveries of one chunk at once: the other task commits bob's row after this one
    started; this task's insert skips it on the unique constraint and creates only charlie's.
    (Real threads on PostgreSQL: test_concurrency.py.)"""
    from notifications import selectors

    for follower in (bob, charlie):
        Follow.objects.create(follower=follower, followee=alice)
    fan_out = services.notify_followers(author=alice, kind="live_started", target=target)
    ct_id, object_id = fan_out.target_content_type_id, fan_out.target_object_id
    real_fan_out_recipients = selectors.fan_out_recipients

    def other_task_commits_bob_meanwhile(**kwargs):
        Notification.objects.create(
            recipient=bob,
            kind="live_started",
            actor=alice,
            target_content_type_id=ct_id,
            target_object_id=object_id,
        )
        return real_fan_out_recipients(**kwargs)

    monkeypatch.setattr(selectors, "fan_out_recipients", other_task_commits_bob_meanwhile)
    created = services.notification_fan_out_chunk(
        author_id=alice.pk,
        kind="live_started",
        target_content_type_id=ct_id,
        target_object_id=object_id,
        data={},
        recipient_ids=[bob.pk, charlie.pk],
    )
    assert created == [Notification.objects.get(recipient=charlie).pk]  # bob's is the other task's
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["bob", "charlie"]


# --- cleanup: notifications about deleted content go -----------------------------------------------


def test_a_deleted_post_takes_its_notifications_along(alice, bob, charlie, handled):
    with handled():
        post = posts_services.post_create(author=alice, text="hi")
        kept = posts_services.post_create(author=alice, text="stays")
    with handled():
        posts_services.like_create(user=bob, post=post)
        posts_services.repost_create(user=charlie, post=post)
        reply = posts_services.post_create(author=bob, text="yo", reply_to_id=post.pk)
        posts_services.like_create(user=bob, post=kept)
    assert Notification.objects.count() == 4
    with handled():
        posts_services.post_delete(post=post)
    # The reply is a post of its own: its notification stays until it is deleted too.
    assert _rows() == [("alice", "like_post", "bob", str(kept.pk)), ("alice", "reply", "bob", str(reply.pk))]


def test_a_deleted_video_takes_its_and_its_comments_notifications_along(alice, bob, charlie, handled):
    video = VideoFactory(author=alice)
    other = VideoFactory(author=alice)
    with handled():
        videos_services.video_react(user=bob, video=video, kind="like")
        comment = videos_services.comment_create(video=video, author=bob, text="nice")
        videos_services.comment_create(video=video, author=charlie, text="agreed", parent=comment)
        videos_services.comment_like(user=alice, comment=comment)
        videos_services.video_react(user=bob, video=other, kind="like")
    assert Notification.objects.count() == 6  # like, 2 comments, reply, comment like; other's like
    with handled():
        videos_services.video_delete(video=video)
    assert _rows() == [("alice", "like_video", "bob", str(other.pk))]


def test_a_deleted_comment_takes_its_and_its_replies_notifications_along(alice, bob, charlie, handled):
    video = VideoFactory(author=alice)
    with handled():
        comment = videos_services.comment_create(video=video, author=bob, text="nice")
        videos_services.comment_create(video=video, author=charlie, text="agreed", parent=comment)
        videos_services.comment_like(user=alice, comment=comment)
        kept = videos_services.comment_create(video=video, author=charlie, text="mine stays")
    assert Notification.objects.count() == 5
    with handled():
        videos_services.comment_delete(comment=comment)
    assert _rows() == [("alice", "comment", "charlie", str(kept.pk))]


def test_an_event_about_content_gone_before_it_was_handled_tells_nobody(alice, bob, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    comment = CommentFactory(video=video, author=alice)
    with django_capture_on_commit_callbacks() as liked:
        videos_services.comment_like(user=bob, comment=comment)
    with django_capture_on_commit_callbacks() as deleted:
        videos_services.video_delete(video=video)
    for callback in [*deleted, *liked]:  # handled out of order: the delete first
        callback()
    assert not Notification.objects.exists()

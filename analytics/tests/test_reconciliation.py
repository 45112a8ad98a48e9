"""The reconciliation test: a generated month of activity goes through the real services (playback
sessions, heartbeats with seeks, counted views, likes, comments, shares, follows and unfollows, on
channels in different time zones, with a Redis outage in the middle and a drain that crashed after
committing), and

1. the raw events equal what the owning apps recorded (views_count, watch time, sessions, likes,
   comments, followers), each raw row dated in its creator's time zone;
2. the daily aggregates equal an independent recomputation from the raw events, field by field.
"""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from analytics import services
from analytics.models import RETENTION_BUCKETS, ChannelDay, RawEvent, VideoDay
from socialflow.core import events
from socialflow.core.tracking import TRACKING_BUFFER_KEY, TRACKING_FLUSHING_PREFIX
from socialflow.redis import breaker, get_redis
from videos import services as video_services
from videos.models import Comment, Video, VideoReaction, VideoView
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

SOURCES = ["feed", "search", "profile", "external", "recommendation"]


def _buckets(position, watched, duration):
    """Bucket i covers [i·d/20, (i+1)·d/20); the heartbeat covers [position − watched, position)."""
    if duration <= 0 or watched <= 0:
        return set()
    end = min(position, duration)
    start = max(0, position - watched)
    return {
        i
        for i in range(RETENTION_BUCKETS)
        if i * duration < RETENTION_BUCKETS * end and (i + 1) * duration > RETENTION_BUCKETS * start
    }


def recompute(raw):
    """The aggregates, from raw rows alone (in id order), written independently of the service."""
    fields = [
        "views",
        "sessions",
        "watch_time_ms",
        "completed_sessions",
        "unique_viewers",
        "likes",
        "comments",
        "shares",
    ]

    def blank():
        return {**dict.fromkeys(fields, 0), "sources": defaultdict(int), "retention": [0] * RETENTION_BUCKETS}

    video_days = defaultdict(blank)
    channel_days = defaultdict(lambda: {**blank(), "followers_gained": 0, "followers_lost": 0})
    viewers = set()
    covered = defaultdict(set)
    for r in raw:
        targets = [channel_days[(r.channel_id, r.day)]]
        if r.video_id is not None:
            targets.append(video_days[(r.video_id, r.day)])
        scopes = [("c", r.channel_id)] + ([("v", r.video_id)] if r.video_id is not None else [])
        for target, scope in zip(targets, scopes, strict=True):
            if r.kind == "session":
                target["sessions"] += 1
            elif r.kind == "view":
                target["views"] += 1
                target["sources"][r.source] += 1
                if (scope, r.day, r.viewer_key) not in viewers:
                    viewers.add((scope, r.day, r.viewer_key))
                    target["unique_viewers"] += 1
            elif r.kind == "heartbeat":
                target["watch_time_ms"] += r.watched_ms
            elif r.kind in ("like", "comment", "share"):
                target[r.kind + "s"] += 1
            elif r.kind == "follow":
                target["followers_gained"] += 1
            elif r.kind == "unfollow":
                target["followers_lost"] += 1
        if r.kind == "heartbeat":
            new = _buckets(r.position_ms, r.watched_ms, r.duration_ms) - covered[r.view_id]
            covered[r.view_id] |= new
            for target in targets:
                for i in new:
                    target["retention"][i] += 1
                target["completed_sessions"] += RETENTION_BUCKETS - 1 in new
    return video_days, channel_days


def as_dict(row, extra=()):
    names = [
        "views",
        "sessions",
        "watch_time_ms",
        "completed_sessions",
        "unique_viewers",
        "likes",
        "comments",
        "shares",
    ]
    data = {name: getattr(row, name) for name in (*names, *extra)}
    data["sources"] = {k: v for k, v in row.sources.items() if v}
    data["retention"] = list(row.retention)
    return data


def expected_dict(entry, extra=()):
    names = [
        "views",
        "sessions",
        "watch_time_ms",
        "completed_sessions",
        "unique_viewers",
        "likes",
        "comments",
        "shares",
    ]
    data = {name: entry[name] for name in (*names, *extra)}
    data["sources"] = {k: v for k, v in entry["sources"].items() if v}
    data["retention"] = list(entry["retention"])
    return data


def test_aggregates_equal_the_raw_events_and_the_raw_events_equal_the_apps(
    django_capture_on_commit_callbacks, outage_redis
):
    rng = random.Random(14)
    la = UserFactory(username="la_creator", time_zone="America/Los_Angeles")
    tokyo = UserFactory(username="tokyo_creator", time_zone="Asia/Tokyo")
    viewers = [UserFactory(username=f"viewer{i}") for i in range(8)]
    # Created before the simulated month (the view clamp compares to the session's creation time).
    videos = [
        VideoFactory(author=la, duration_ms=60_000),
        VideoFactory(author=la, duration_ms=4_000),
        VideoFactory(author=tokyo, duration_ms=30_000),
    ]
    start = datetime(2026, 3, 5, 6, 0, tzinfo=UTC)  # crosses LA's DST change (8 March)
    follows = defaultdict(bool)

    for step in range(160):
        moment = start + timedelta(hours=step * 1.7, minutes=rng.randrange(60))
        if step in (50, 60, 120):
            with time_machine.travel(moment, tick=False):
                services.tracking_flush()
                video_services.view_counts_flush()
        if step == 60:
            outage_redis.kill()  # this stretch's records go straight to raw rows (the sink)
        if step == 90:
            outage_redis.start()
            breaker.reset()
        video = rng.choice(videos)
        anonymous = rng.random() < 0.3
        user = None if anonymous else rng.choice(viewers)
        ip = f"10.0.0.{rng.randrange(4)}"
        action = rng.random()
        with time_machine.travel(moment, tick=False) as traveller, django_capture_on_commit_callbacks(execute=True):
            if action < 0.6:
                view = video_services.view_start(
                    video=video, user=user, ip=ip, user_agent="test", source=rng.choice(SOURCES)
                )
                position = 0
                watched = 0
                for _ in range(rng.randrange(1, 6)):
                    seconds = rng.randrange(1, 15)
                    traveller.shift(seconds)
                    if rng.random() < 0.2:
                        position = rng.randrange(video.duration_ms)  # a seek
                    position = min(video.duration_ms, position + seconds * 1000)
                    watched += seconds * 1000
                    video_services.view_heartbeat(view=view, video=video, position_ms=position, watched_ms=watched)
            elif action < 0.75 and user is not None:
                video_services.video_react(user=user, video=video, kind="like")
            elif action < 0.85 and user is not None:
                video_services.comment_create(video=video, author=user, text=f"comment {step}")
            elif action < 0.9:
                services.share_record(video=video, user=user, channel="copy_link")
            elif user is not None:
                followee = video.author
                if follows[(user.pk, followee.pk)]:
                    account_services.follow_delete(follower=user, followee=followee)
                else:
                    account_services.follow_create(follower=user, followee=followee)
                follows[(user.pk, followee.pk)] = not follows[(user.pk, followee.pk)]

    # Events recorded while the broker was down are dispatched by the periodic re-drive.
    with time_machine.travel(start + timedelta(days=40), tick=False), django_capture_on_commit_callbacks(execute=True):
        events.redrive_events()

    # A drain that renamed the buffer and committed, then crashed before deleting its key: the
    # next flush deletes the key and writes nothing twice.
    client = get_redis()
    with django_capture_on_commit_callbacks(execute=True):
        view = video_services.view_start(video=videos[0], user=viewers[0], ip="1.1.1.1", user_agent="x")
    crashed = f"{TRACKING_FLUSHING_PREFIX}crashed"
    client.rename(TRACKING_BUFFER_KEY, crashed)
    records = client.lrange(crashed, 0, -1)
    assert records
    services._apply_key(client, crashed)
    client.rpush(crashed, *records)  # as if the key had survived the commit
    services.tracking_flush()
    video_services.view_counts_flush()

    assert not client.exists(TRACKING_BUFFER_KEY)
    assert not list(client.scan_iter(match=f"{TRACKING_FLUSHING_PREFIX}*"))
    assert not RawEvent.objects.filter(aggregated=False).exists()

    raw = list(RawEvent.objects.order_by("id"))
    zones = {la.pk: ZoneInfo("America/Los_Angeles"), tokyo.pk: ZoneInfo("Asia/Tokyo")}
    for r in raw:
        assert r.day == r.occurred_at.astimezone(zones[r.channel_id]).date()

    # 1. Raw events equal what the owning apps recorded.
    for video in videos:
        video.refresh_from_db()
        mine = [r for r in raw if r.video_id == video.pk]
        sessions = VideoView.objects.filter(video=video)
        assert sum(r.kind == "session" for r in mine) == sessions.count()
        assert sum(r.kind == "view" for r in mine) == video.views_count == sessions.exclude(counted_at=None).count()
        assert sum(r.watched_ms for r in mine if r.kind == "heartbeat") == sum(s.watched_ms for s in sessions)
        assert sum(r.kind == "like" for r in mine) == VideoReaction.objects.filter(video=video, kind="like").count()
        assert sum(r.kind == "comment" for r in mine) == Comment.objects.filter(video=video).count()
    for creator in (la, tokyo):
        creator.refresh_from_db()
        mine = [r for r in raw if r.channel_id == creator.pk]
        assert sum(r.kind == "follow" for r in mine) - sum(r.kind == "unfollow" for r in mine) == (
            creator.followers_count
        )
    assert sum(r.kind == "share" for r in raw) > 0

    # 2. The aggregates equal the recomputation, day by day, field by field.
    video_days, channel_days = recompute(raw)
    stored_videos = {(row.video_id, row.day): row for row in VideoDay.objects.all()}
    stored_channels = {(row.channel_id, row.day): row for row in ChannelDay.objects.all()}
    assert set(stored_videos) == set(video_days)
    assert set(stored_channels) == set(channel_days)
    for key, entry in video_days.items():
        assert as_dict(stored_videos[key]) == expected_dict(entry), key
    for key, entry in channel_days.items():
        extra = ("followers_gained", "followers_lost")
        assert as_dict(stored_channels[key], extra) == expected_dict(entry, extra), key
    # Something of every kind went through, and the days span the month in both zones.
    assert {r.kind for r in raw} == {"session", "heartbeat", "view", "like", "comment", "share", "follow", "unfollow"}
    assert sum(row.completed_sessions for row in stored_videos.values()) > 0
    assert len({day for _, day in stored_channels}) > 10
    assert Video.objects.count() == 3

"""Analytics: raw events (the truth) and the daily aggregates built from them.

Raw rows come from two places: the hot-path tracking buffer (``socialflow.core.tracking``: playback
sessions, heartbeats with positions, counted views, shares — drained from Redis by
``analytics.services.tracking_flush``) and the domain events analytics handles (likes, comments,
follows, unfollows). Every raw row carries the creator's ``day`` (computed once, in the creator's
time zone at ingestion) and is folded into the aggregates exactly once (``aggregated`` flips in the
same transaction that adds it). Ids are plain integers, not foreign keys: analytics outlives a
deleted video and never blocks its deletion.
"""

from django.db import models
from django.db.models import Q

RETENTION_BUCKETS = 20  # 5 % steps


class Kind(models.TextChoices):
    SESSION = "session", "Playback session started"
    HEARTBEAT = "heartbeat", "Watch heartbeat"
    VIEW = "view", "Counted view"
    LIKE = "like", "Like"
    COMMENT = "comment", "Comment"
    SHARE = "share", "Share"
    FOLLOW = "follow", "Follow"
    UNFOLLOW = "unfollow", "Unfollow"


class Source(models.TextChoices):
    FEED = "feed", "Feed"
    SEARCH = "search", "Search"
    PROFILE = "profile", "Channel or profile"
    EXTERNAL = "external", "External or direct link"
    RECOMMENDATION = "recommendation", "Recommendation"


SOURCES = [choice.value for choice in Source]


class RawEvent(models.Model):
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    day = models.DateField()  # occurred_at in the channel owner's time zone
    channel_id = models.BigIntegerField()
    video_id = models.BigIntegerField(null=True, blank=True)
    view_id = models.UUIDField(null=True, blank=True)
    viewer_key = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=16, blank=True)
    position_ms = models.BigIntegerField(default=0)
    watched_ms = models.BigIntegerField(default=0)  # a heartbeat's increment of watched time
    duration_ms = models.BigIntegerField(default=0)
    # Idempotency for domain-event rows ("<event id>"), empty for buffered ones.
    dedup_key = models.CharField(max_length=64, blank=True)
    aggregated = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["aggregated", "id"], name="analytics_raw_pending"),
            models.Index(fields=["channel_id", "occurred_at"], name="analytics_raw_channel_time"),
            models.Index(fields=["video_id", "occurred_at"], name="analytics_raw_video_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in Kind]), name="analytics_raw_kind_valid"),
            models.UniqueConstraint(
                fields=["kind", "dedup_key"], condition=~Q(dedup_key=""), name="analytics_raw_dedup_once"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.video_id or self.channel_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


def _zero_retention():
    return [0] * RETENTION_BUCKETS


class DailyStats(models.Model):
    day = models.DateField()
    views = models.PositiveBigIntegerField(default=0)
    sessions = models.PositiveBigIntegerField(default=0)
    watch_time_ms = models.PositiveBigIntegerField(default=0)
    completed_sessions = models.PositiveBigIntegerField(default=0)  # reached the last 5 %
    unique_viewers = models.PositiveBigIntegerField(default=0)
    likes = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveBigIntegerField(default=0)
    shares = models.PositiveBigIntegerField(default=0)
    # Views by traffic source {source: n}; retention: sessions (started that day) that watched each 5 %.
    sources = models.JSONField(default=dict)
    retention = models.JSONField(default=_zero_retention)

    class Meta:
        abstract = True


class VideoDay(DailyStats):
    video_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video_id", "day"], name="analytics_videoday_once")]
        indexes = [models.Index(fields=["channel_id", "day"], name="analytics_videoday_channel")]

    def __str__(self):
        return f"video {self.video_id} on {self.day}"


class ChannelDay(DailyStats):
    channel_id = models.BigIntegerField()
    followers_gained = models.PositiveBigIntegerField(default=0)
    followers_lost = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel_id", "day"], name="analytics_channelday_once")]

    def __str__(self):
        return f"channel {self.channel_id} on {self.day}"


class DailyViewer(models.Model):
    """Who watched (counted views) a video or channel on a day: unique viewers are its row count."""

    class Scope(models.TextChoices):
        VIDEO = "v", "Video"
        CHANNEL = "c", "Channel"

    scope = models.CharField(max_length=1, choices=Scope.choices)
    scope_id = models.BigIntegerField()
    day = models.DateField()
    viewer_key = models.CharField(max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "scope_id", "day", "viewer_key"], name="analytics_viewer_once")
        ]

    def __str__(self):
        return f"{self.viewer_key} on {self.scope}{self.scope_id} {self.day}"


class SessionProgress(models.Model):
    """Which 5 % segments of its video a playback session has watched so far (a bitmask)."""

    view_id = models.UUIDField(primary_key=True)
    video_id = models.BigIntegerField()
    buckets = models.BigIntegerField(default=0)

    def __str__(self):
        return f"session {self.view_id}"


class TrackingFlush(models.Model):
    """Tokens of drained Redis buffers, so a drain that crashed after committing is not applied twice."""

    token = models.CharField(max_length=64, unique=True)
    records = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.token


class ItemNeighbour(models.Model):
    """One stored neighbour of the item-item recommendation model (replaced whole by each training)."""

    class ItemKind(models.TextChoices):
        VIDEO = "video", "Video"
        POST = "post", "Post"

    kind = models.CharField(max_length=8, choices=ItemKind.choices)
    item_id = models.BigIntegerField()
    neighbour_id = models.BigIntegerField()
    score = models.FloatField()
    rank = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "item_id", "rank"], name="analytics_neighbour_rank_once")
        ]

    def __str__(self):
        return f"{self.kind} {self.item_id} ~ {self.neighbour_id} ({self.score:.3f})"


class RecommendationRun(models.Model):
    """What one training saw and produced (the admin and the docs' figures read these)."""

    kind = models.CharField(max_length=8)
    trained_at = models.DateTimeField(auto_now_add=True)
    users = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    neighbours = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    def __str__(self):
        return f"{self.kind} model of {self.trained_at:%Y-%m-%d %H:%M}"

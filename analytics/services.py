"""Analytics writes: raw rows from the tracking buffer and from domain events, and their exact
folding into the daily aggregates.

The flow: ``socialflow.core.tracking.track`` RPUSHes a JSON record to a Redis list on the hot path;
``tracking_flush`` (Celery beat) renames the list to a flush token, writes its records as
``RawEvent`` rows in one transaction that also records the token (a crash after that commit only
leaves the key to delete; one before it leaves the key to apply next time), then
``aggregate_pending`` folds every raw row not yet aggregated into ``VideoDay`` / ``ChannelDay`` and
marks it, in one transaction per batch. Domain-event handlers (likes, comments, follows) write raw
rows directly, keyed by the event id so a re-run adds nothing.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from analytics.lib import recommender
from analytics.models import (
    RETENTION_BUCKETS,
    SOURCES,
    ChannelDay,
    DailyViewer,
    ItemNeighbour,
    Kind,
    RawEvent,
    RecommendationRun,
    SessionProgress,
    TrackingFlush,
    VideoDay,
)
from posts import selectors as post_selectors
from socialflow.cache import fallback_cache
from socialflow.core import tracking
from socialflow.core.tracking import TRACKING_BUFFER_KEY, TRACKING_FLUSHING_PREFIX
from socialflow.redis import get_redis
from videos import services as video_services

logger = logging.getLogger(__name__)

AGGREGATE_BATCH = 2000
AGGREGATE_LOCK = "analytics:aggregate-lock"
UTC_ZONE = ZoneInfo("UTC")


# --- the creator's day -------------------------------------------------------------------------


def zone_for(tz_name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name or "UTC")
    except (ValueError, KeyError, OSError):
        return UTC_ZONE


def channel_zones(channel_ids) -> dict[int, ZoneInfo]:
    ids = {int(i) for i in channel_ids}
    zones = {pk: zone_for(name) for pk, name in User.objects.filter(pk__in=ids).values_list("pk", "time_zone")}
    return {pk: zones.get(pk, UTC_ZONE) for pk in ids}


def local_day(moment: datetime, zone: ZoneInfo):
    return moment.astimezone(zone).date()


# --- raw rows ----------------------------------------------------------------------------------


def _int(value, default=0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _row_from_record(record: dict, zones: dict[int, ZoneInfo]) -> RawEvent | None:
    kind = record.get("kind")
    if kind not in Kind.values:
        logger.warning("analytics record of unknown kind dropped: %r", record)
        return None
    occurred_at = parse_datetime(str(record.get("at", ""))) or timezone.now()
    channel_id = _int(record.get("channel_id"))
    view_id = record.get("view_id")
    source = record.get("source") or ""
    if kind in (Kind.SESSION, Kind.VIEW) and source not in SOURCES:
        source = "external"
    return RawEvent(
        kind=kind,
        occurred_at=occurred_at,
        day=local_day(occurred_at, zones.get(channel_id, UTC_ZONE)),
        channel_id=channel_id,
        video_id=_int(record.get("video_id"), None) if record.get("video_id") is not None else None,
        view_id=uuid.UUID(str(view_id)) if view_id else None,
        viewer_key=str(record.get("viewer_key") or "")[:80],
        source=source,
        position_ms=max(0, _int(record.get("position_ms"))),
        watched_ms=max(0, _int(record.get("watched_ms"))),
        duration_ms=max(0, _int(record.get("duration_ms"))),
    )


def raw_events_write(records: list[dict]) -> int:
    """Write buffered records as raw rows (the flush, and the tracking sink while Redis is down)."""
    zones = channel_zones(_int(r.get("channel_id")) for r in records)
    rows = [row for row in (_row_from_record(r, zones) for r in records) if row is not None]
    RawEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def raw_event_from_domain_event(*, event, kind: str, channel_id: int, video_id: int | None = None, viewer_key=""):
    """A like, comment or follow handled from the outbox: one raw row per event (a re-run adds none)."""
    zones = channel_zones([channel_id])
    occurred_at = event.created_at
    dedup_key = str(event.pk)
    if RawEvent.objects.filter(kind=kind, dedup_key=dedup_key).exists():
        return None
    try:
        with transaction.atomic():
            return RawEvent.objects.create(
                kind=kind,
                occurred_at=occurred_at,
                day=local_day(occurred_at, zones[int(channel_id)]),
                channel_id=int(channel_id),
                video_id=video_id,
                viewer_key=viewer_key,
                dedup_key=dedup_key,
            )
    except IntegrityError:
        return None


def share_record(*, video, user, channel: str) -> None:
    """A viewer shared a video (copied its link, or through a share target)."""
    tracking.track(
        "share",
        video_id=video.pk,
        channel_id=video.author_id,
        viewer_key=f"u:{user.pk}" if getattr(user, "is_authenticated", False) else "",
        source=channel,
    )


# --- draining the Redis buffer -----------------------------------------------------------------


def _apply_key(client, key: str) -> int:
    token = key.removeprefix(TRACKING_FLUSHING_PREFIX)
    records = []
    for raw in client.lrange(key, 0, -1):
        try:
            records.append(json.loads(raw))
        except (TypeError, ValueError):
            logger.warning("unreadable analytics record dropped: %r", raw[:200])
    written = 0
    with transaction.atomic():
        _, created = TrackingFlush.objects.get_or_create(token=token, defaults={"records": len(records)})
        if created:
            written = raw_events_write(records)
    client.delete(key)
    return written


def tracking_drain() -> int:
    """Move the buffered records into raw rows (exactly once each). Returns how many were written."""
    client = get_redis()
    if client is None:
        return 0
    total = 0
    for key in client.scan_iter(match=f"{TRACKING_FLUSHING_PREFIX}*"):
        total += _apply_key(client, key.decode() if isinstance(key, bytes) else key)
    key = f"{TRACKING_FLUSHING_PREFIX}{uuid.uuid4().hex}"
    try:
        client.rename(TRACKING_BUFFER_KEY, key)
    except Exception as exc:  # redis.ResponseError "no such key": nothing buffered
        if "no such key" not in str(exc).lower():
            raise
        return total
    return total + _apply_key(client, key)


def tracking_flush() -> dict:
    """The beat task's work: apply the heartbeats the lean watch path buffered (they become raw
    rows, with their sessions), drain the buffer, then fold every pending raw row into the
    aggregates."""
    heartbeats = video_services.view_heartbeats_flush()
    drained = tracking_drain()
    aggregated = aggregate_pending()
    return {"heartbeats": heartbeats, "drained": drained, "aggregated": aggregated}


# --- folding raw rows into daily aggregates ----------------------------------------------------


def segment_buckets(*, position_ms: int, watched_ms: int, duration_ms: int) -> int:
    """The 5 % buckets a heartbeat covers, as a bitmask: the viewer watched ``watched_ms`` ending at
    ``position_ms``, i.e. ``[position - watched, position)``; bucket i is ``[i, i+1) × duration/20``."""
    if duration_ms <= 0 or watched_ms <= 0:
        return 0
    end = min(position_ms, duration_ms)
    start = max(0, position_ms - watched_ms)
    if end <= start:
        return 0
    first = start * RETENTION_BUCKETS // duration_ms
    last = -(-end * RETENTION_BUCKETS // duration_ms) - 1  # ceil(end·20/d) − 1
    first, last = max(0, first), min(RETENTION_BUCKETS - 1, last)
    mask = 0
    for bucket in range(first, last + 1):
        mask |= 1 << bucket
    return mask


class _Delta:
    __slots__ = (
        "views",
        "sessions",
        "watch_time_ms",
        "completed_sessions",
        "unique_viewers",
        "likes",
        "comments",
        "shares",
        "followers_gained",
        "followers_lost",
        "sources",
        "retention",
    )

    def __init__(self):
        for name in self.__slots__[:-2]:
            setattr(self, name, 0)
        self.sources = defaultdict(int)
        self.retention = [0] * RETENTION_BUCKETS


def _apply_delta(row, delta: _Delta, *, channel: bool) -> None:
    for name in ("views", "sessions", "watch_time_ms", "completed_sessions", "unique_viewers", "likes", "comments"):
        setattr(row, name, getattr(row, name) + getattr(delta, name))
    row.shares += delta.shares
    if channel:
        row.followers_gained += delta.followers_gained
        row.followers_lost += delta.followers_lost
    sources = dict(row.sources or {})
    for source, n in delta.sources.items():
        sources[source] = sources.get(source, 0) + n
    row.sources = sources
    retention = list(row.retention or [0] * RETENTION_BUCKETS)
    row.retention = [a + b for a, b in zip(retention, delta.retention, strict=True)]
    row.save()


def _aggregate_batch(rows: list[RawEvent]) -> None:
    videos: dict[tuple, _Delta] = defaultdict(_Delta)
    channels: dict[tuple, _Delta] = defaultdict(_Delta)
    video_channel: dict[int, int] = {}

    # Unique viewers: who is already known for the (scope, id, day) the batch touches.
    view_rows = [r for r in rows if r.kind == Kind.VIEW and r.viewer_key]
    known: set[tuple] = set()
    if view_rows:
        days = {r.day for r in view_rows}
        keys = {r.viewer_key for r in view_rows}
        known = set(
            DailyViewer.objects.filter(day__in=days, viewer_key__in=keys).values_list(
                "scope", "scope_id", "day", "viewer_key"
            )
        )
    new_viewers: list[DailyViewer] = []

    # Retention: the buckets each session already covered.
    view_ids = {r.view_id for r in rows if r.kind == Kind.HEARTBEAT and r.view_id}
    progress = {p.view_id: p for p in SessionProgress.objects.filter(view_id__in=view_ids)}
    touched: set = set()

    for r in rows:
        if r.video_id is not None:
            video_channel[r.video_id] = r.channel_id
        v = videos[(r.video_id, r.day)] if r.video_id is not None else None
        c = channels[(r.channel_id, r.day)]
        targets = [d for d in (v, c) if d is not None]
        if r.kind == Kind.SESSION:
            for d in targets:
                d.sessions += 1
        elif r.kind == Kind.VIEW:
            for d in targets:
                d.views += 1
                d.sources[r.source or "external"] += 1
            if r.viewer_key:
                for scope, scope_id, d in (("v", r.video_id, v), ("c", r.channel_id, c)):
                    if d is None:
                        continue
                    key = (scope, scope_id, r.day, r.viewer_key)
                    if key not in known:
                        known.add(key)
                        new_viewers.append(
                            DailyViewer(scope=scope, scope_id=scope_id, day=r.day, viewer_key=r.viewer_key)
                        )
                        d.unique_viewers += 1
        elif r.kind == Kind.HEARTBEAT:
            for d in targets:
                d.watch_time_ms += r.watched_ms
            mask = segment_buckets(position_ms=r.position_ms, watched_ms=r.watched_ms, duration_ms=r.duration_ms)
            if mask and r.view_id:
                state = progress.get(r.view_id)
                if state is None:
                    state = progress[r.view_id] = SessionProgress(view_id=r.view_id, video_id=r.video_id or 0)
                new = mask & ~state.buckets
                if new:
                    state.buckets |= new
                    touched.add(r.view_id)
                    for bucket in range(RETENTION_BUCKETS):
                        if new & (1 << bucket):
                            for d in targets:
                                d.retention[bucket] += 1
                                if bucket == RETENTION_BUCKETS - 1:
                                    d.completed_sessions += 1
        elif r.kind == Kind.LIKE:
            for d in targets:
                d.likes += 1
        elif r.kind == Kind.COMMENT:
            for d in targets:
                d.comments += 1
        elif r.kind == Kind.SHARE:
            for d in targets:
                d.shares += 1
        elif r.kind == Kind.FOLLOW:
            c.followers_gained += 1
        elif r.kind == Kind.UNFOLLOW:
            c.followers_lost += 1

    DailyViewer.objects.bulk_create(new_viewers, batch_size=1000)
    for view_id in touched:
        state = progress[view_id]
        SessionProgress.objects.update_or_create(
            view_id=view_id, defaults={"video_id": state.video_id, "buckets": state.buckets}
        )
    for (video_id, day), delta in videos.items():
        row, _ = VideoDay.objects.select_for_update().get_or_create(
            video_id=video_id, day=day, defaults={"channel_id": video_channel[video_id]}
        )
        _apply_delta(row, delta, channel=False)
    for (channel_id, day), delta in channels.items():
        row, _ = ChannelDay.objects.select_for_update().get_or_create(channel_id=channel_id, day=day)
        _apply_delta(row, delta, channel=True)
    RawEvent.objects.filter(pk__in=[r.pk for r in rows]).update(aggregated=True)


def aggregate_pending(*, batch: int = AGGREGATE_BATCH) -> int:
    """Fold raw rows not yet aggregated into the daily rows, in id order, one transaction per batch.
    One folder at a time (a lock in the cache), so a row is never folded twice."""
    if not fallback_cache.add(AGGREGATE_LOCK, 1, timeout=600):
        return 0
    total = 0
    try:
        while True:
            with transaction.atomic():
                rows = list(RawEvent.objects.select_for_update().filter(aggregated=False).order_by("id")[:batch])
                if not rows:
                    break
                _aggregate_batch(rows)
                total += len(rows)
    finally:
        fallback_cache.delete(AGGREGATE_LOCK)
    return total


def raw_events_prune(*, before) -> int:
    """Delete aggregated raw rows older than ``before`` (the aggregates keep their sums)."""
    deleted, _ = RawEvent.objects.filter(aggregated=True, occurred_at__lt=before).delete()
    return deleted


# --- recommendations -----------------------------------------------------------------------------

VIDEO_WEIGHTS = {Kind.VIEW: 1.0, Kind.LIKE: 2.0, Kind.COMMENT: 2.0, Kind.SHARE: 3.0}


def video_interactions(*, since) -> list[tuple[str, int, float]]:
    """Who watched, liked, commented on or shared which video (viewer keys: signed-in users and
    anonymous viewers alike), from the raw events."""
    rows = (
        RawEvent.objects.filter(occurred_at__gte=since, kind__in=list(VIDEO_WEIGHTS), video_id__isnull=False)
        .exclude(viewer_key="")
        .values_list("viewer_key", "video_id", "kind")
    )
    return [(key, video_id, VIDEO_WEIGHTS[kind]) for key, video_id, kind in rows.iterator()]


def recommendations_train(*, now=None) -> dict[str, int]:
    """Retrain the item-item model of each kind from the last ``RECOMMENDATIONS_WINDOW_DAYS`` of
    interactions (videos: raw analytics events; posts: ``posts.selectors.post_interactions``) and
    replace the stored neighbours in one transaction per kind."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.RECOMMENDATIONS_WINDOW_DAYS)
    sources = {
        ItemNeighbour.ItemKind.VIDEO: lambda: video_interactions(since=since),
        ItemNeighbour.ItemKind.POST: lambda: post_selectors.post_interactions(since=since),
    }
    stored = {}
    for kind, load in sources.items():
        started = time.monotonic()
        interactions = recommender.Interactions(load())
        neighbours = recommender.item_neighbours(interactions, k=settings.RECOMMENDATIONS_NEIGHBOURS)
        rows = [
            ItemNeighbour(kind=kind, item_id=item, neighbour_id=other, score=score, rank=rank)
            for item, others in neighbours.items()
            for rank, (other, score) in enumerate(others)
        ]
        with transaction.atomic():
            ItemNeighbour.objects.filter(kind=kind).delete()
            ItemNeighbour.objects.bulk_create(rows, batch_size=2000)
            RecommendationRun.objects.create(
                kind=kind,
                users=len(interactions.users),
                items=len(interactions.items),
                interactions=len(interactions),
                neighbours=len(rows),
                seconds=round(time.monotonic() - started, 3),
            )
        stored[kind] = len(rows)
    return stored

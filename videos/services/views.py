"""Views and watch time (PeerTube's rule: a view counts after 10 s, or the whole of a shorter video).

A playback session (VideoView) is opened by ``view_start``; heartbeats report the cumulative
watched time. The first time a session crosses the threshold it is counted — unless the same viewer
(user id, or a hash of IP + user agent) already counted a view of this video in the last 24 h.
Counted views go to the counter store (videos.counters) and reach ``Video.views_count`` in batches.

Heartbeats have two paths with one bookkeeping: ``view_heartbeat`` (Django, the database row) and
the lean ASGI path (``videos.api.heartbeat_app``: Redis state and a buffered record of the new
total, ``videos.heartbeats``), which ``view_heartbeats_flush`` applies to the rows in batches. Both
derive the analytics increment from the row's own watched time, so watch time in analytics is
always exactly the sum of ``VideoView.watched_ms``, whichever path answered.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from socialflow.cache import fallback_cache
from socialflow.core import tracking
from videos import heartbeats
from videos.counters import counter_store
from videos.lib.viewers import viewer_key_for
from videos.models import TrafficSource, Video, VideoView

WATCH_SPEED_SLACK = 2  # players may run at 2x: accept up to twice the wall-clock time
WATCH_GRACE_MS = 3000


def view_start(*, video: Video, user, ip: str, user_agent: str, source: str = TrafficSource.EXTERNAL) -> VideoView:
    view = VideoView.objects.create(
        video=video,
        user=user if user is not None and user.is_authenticated else None,
        viewer_key=viewer_key_for(user=user, ip=ip, user_agent=user_agent),
        source=source,
    )
    tracking.track(
        "session",
        view_id=str(view.pk),
        video_id=video.pk,
        channel_id=video.author_id,
        viewer_key=view.viewer_key,
        source=view.source,
    )
    session = {
        "view_id": str(view.pk),
        "video_id": video.pk,
        "viewer_key": view.viewer_key,
        "started_ms": int(view.created_at.timestamp() * 1000),
        "threshold_ms": view_threshold_ms(video=video),
    }
    transaction.on_commit(lambda: heartbeats.session_open(**session))
    return view


def view_threshold_ms(*, video: Video) -> int:
    """Watched time after which a session counts as a view: 10 s, or the whole of a shorter video."""
    threshold = settings.VIDEO_VIEW_MIN_WATCH_MS
    if video.duration_ms:
        threshold = min(threshold, max(video.duration_ms - 500, 1))
    return threshold


def view_heartbeat(*, view: VideoView, video: Video, position_ms: int, watched_ms: int) -> VideoView:
    """Record progress; count the view once it has been watched long enough (exactly once)."""
    now = timezone.now()
    elapsed_ms = int((now - view.created_at).total_seconds() * 1000)
    plausible = elapsed_ms * WATCH_SPEED_SLACK + WATCH_GRACE_MS
    watched = max(view.watched_ms, min(int(watched_ms), plausible))
    if video.duration_ms:
        position_ms = min(int(position_ms), video.duration_ms)
    # Conditional on the watched time read, so two racing heartbeats never both add the same delta.
    previous = view.watched_ms
    updated = VideoView.objects.filter(pk=view.pk, watched_ms=previous).update(
        watched_ms=watched, position_ms=position_ms, last_heartbeat_at=now
    )
    if not updated:
        view.refresh_from_db(fields=["watched_ms", "counted_at"])
        return view
    view.watched_ms, view.position_ms, view.last_heartbeat_at = watched, position_ms, now
    tracking.track(
        "heartbeat",
        view_id=str(view.pk),
        video_id=video.pk,
        channel_id=video.author_id,
        position_ms=int(position_ms),
        watched_ms=watched - previous,
        duration_ms=int(video.duration_ms or 0),
    )
    if view.counted_at is None and watched >= view_threshold_ms(video=video):
        _count(view=view, video=video, now=now)
    return view


def view_count_crossed(*, view_id: str, video: Video) -> bool:
    """A session the lean path saw cross the threshold: count it (once per viewer per 24 h, the
    same rule as ``view_heartbeat``). Returns whether the session is counted."""
    view = VideoView.objects.filter(pk=view_id, video=video).first()
    if view is None:
        return False
    if view.counted_at is None:
        _count(view=view, video=video, now=timezone.now())
    return view.counted_at is not None


def view_heartbeats_flush() -> int:
    """Apply the heartbeats the lean path buffered in Redis to their sessions and to analytics,
    exactly once (``videos.heartbeats.drain``). Returns how many records were applied."""
    return heartbeats.drain(_heartbeats_apply)


def _heartbeats_apply(chunks: Iterator[list[dict]]) -> int:
    """Each record holds a session's new total watched time; its increment is the part above what
    the row already has (a total at or below it adds nothing: applied before, or overtaken by a
    heartbeat Django answered). Rows are locked for the flush's transaction, so a racing
    ``view_heartbeat`` (conditional on the watched time it read) cannot add the same time again."""
    views: dict[str, VideoView | None] = {}
    touched: dict[str, VideoView] = {}
    applied = 0
    for records in chunks:
        new_ids = {str(r.get("view_id")) for r in records} - views.keys()
        for view in (
            VideoView.objects.select_for_update()
            .filter(pk__in=new_ids)
            .only("id", "watched_ms", "position_ms", "last_heartbeat_at")
            .order_by("pk")
        ):
            views[str(view.pk)] = view
        tracked = []
        for record in records:
            view = views.setdefault(str(record.get("view_id")), None)
            if view is None:  # the video (and its sessions) deleted since
                continue
            total = int(record.pop("watched_total", 0))
            increment = max(0, total - view.watched_ms)
            view.watched_ms += increment
            view.position_ms = int(record.get("position_ms", view.position_ms))
            at = parse_datetime(str(record.get("at", "")))
            if at is not None and (view.last_heartbeat_at is None or at > view.last_heartbeat_at):
                view.last_heartbeat_at = at
            touched[str(view.pk)] = view
            tracked.append({**record, "watched_ms": increment})
        tracking.write_now(tracked)
        applied += len(tracked)
    VideoView.objects.bulk_update(
        list(touched.values()), ["watched_ms", "position_ms", "last_heartbeat_at"], batch_size=500
    )
    return applied


def _count(*, view: VideoView, video: Video, now) -> None:
    since = now - settings.VIDEO_VIEW_DEDUP
    with transaction.atomic():
        already = (
            VideoView.objects.filter(video=video, viewer_key=view.viewer_key, counted_at__gte=since)
            .exclude(pk=view.pk)
            .exists()
        )
        if already:
            return
        # Gate for the race of two sessions of one viewer crossing the threshold in the same instant
        # (atomic SET NX in Redis); keyed by the minute so it never outlives the race it guards.
        minute = int(now.timestamp() // 60)
        if not fallback_cache.add(f"videos:viewgate:{video.pk}:{view.viewer_key}:{minute}", 1, timeout=120):
            return
        changed = VideoView.objects.filter(pk=view.pk, counted_at__isnull=True).update(counted_at=now)
        if changed:
            view.counted_at = now
            tracking.track(
                "view",
                view_id=str(view.pk),
                video_id=video.pk,
                channel_id=video.author_id,
                viewer_key=view.viewer_key,
                source=view.source,
            )
            store = counter_store()
            if store.transactional:
                store.add(video_id=video.pk)
            else:
                transaction.on_commit(lambda: store.add(video_id=video.pk))


def view_counts_flush() -> int:
    return counter_store().flush()

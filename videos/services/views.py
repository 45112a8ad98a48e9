"""Views and watch time (PeerTube's rule: a view counts after 10 s, or the whole of a shorter video).

A playback session (VideoView) is opened by ``view_start``; heartbeats report the cumulative
watched time. The first time a session crosses the threshold it is counted — unless the same viewer
(user id, or a hash of IP + user agent) already counted a view of this video in the last 24 h.
Counted views go to the counter store (videos.counters) and reach ``Video.views_count`` in batches.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from socialflow.cache import fallback_cache
from socialflow.core import tracking
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
    return view


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
    threshold = settings.VIDEO_VIEW_MIN_WATCH_MS
    if video.duration_ms:
        threshold = min(threshold, max(video.duration_ms - 500, 1))  # the whole of a short video
    if view.counted_at is None and watched >= threshold:
        _count(view=view, video=video, now=now)
    return view


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

"""Exact view counters without hammering hot rows.

Counted views go to a counter store and are folded into ``Video.views_count`` in batches by the
``videos.tasks.flush_view_counts`` periodic task. The store must be shared by the web processes
and the Celery worker: a Redis hash (the embedded mode's Redis too, whose append-only file keeps
it across a restart), or a database table of pending increments. Both are exact: every
increment is applied once. While Redis is unreachable, increments go to the database table
instead and the flush folds both; an increment whose Redis call timed out (a frozen server) is
kept in the database too, so it is never lost (if that frozen Redis later applies it after all,
the view counts twice: the only inexact case, and the safe side of it).
"""

import logging
import uuid
from collections import Counter

from django.db import transaction
from django.db.models import F, Max

from socialflow.core import events
from socialflow.redis import REDIS_DOWN_ERRORS, get_redis, redis_marked_down
from videos.models import CounterFlush, PendingViewCount, Video
from videos.services.cache import video_cache_invalidate

logger = logging.getLogger(__name__)

REDIS_PENDING_KEY = "sf:videos:views:pending"
REDIS_FLUSHING_PREFIX = "sf:videos:views:flushing:"


class DatabaseCounterStore:
    transactional = True  # the increment commits (or not) with the view that caused it

    def add(self, *, video_id: int, delta: int = 1) -> None:
        PendingViewCount.objects.create(video_id=video_id, delta=delta)

    def flush(self) -> int:
        """Fold pending rows up to the current max id into the videos, in one transaction."""
        with transaction.atomic():
            top = PendingViewCount.objects.aggregate(top=Max("id"))["top"]
            if top is None:
                return 0
            pending = Counter()
            for video_id, delta in PendingViewCount.objects.filter(id__lte=top).values_list("video_id", "delta"):
                pending[video_id] += delta
            _apply(pending)
            PendingViewCount.objects.filter(id__lte=top).delete()
        return sum(pending.values())

    def pending(self, *, video_id: int) -> int:
        return sum(PendingViewCount.objects.filter(video_id=video_id).values_list("delta", flat=True))


class RedisCounterStore:
    transactional = False  # incremented after the view's transaction commits

    def __init__(self, client):
        self.client = client
        self.fallback = DatabaseCounterStore()

    def add(self, *, video_id: int, delta: int = 1) -> None:
        if not redis_marked_down():
            try:
                self.client.hincrby(REDIS_PENDING_KEY, str(video_id), delta)
                return
            except REDIS_DOWN_ERRORS as exc:
                logger.warning("view count of video %s kept in the database: redis unavailable (%s)", video_id, exc)
        self.fallback.add(video_id=video_id, delta=delta)

    def flush(self) -> int:
        """Rename the live hash to a flush token, apply it with the token recorded, then drop it.

        A flush that died after applying leaves its token in CounterFlush, so the next run only
        deletes the key; one that died before applying is applied by the next run. Increments
        kept in the database during a Redis outage are folded first.
        """
        total = self.fallback.flush()
        for key in self.client.scan_iter(match=f"{REDIS_FLUSHING_PREFIX}*"):
            total += self._apply_key(key.decode() if isinstance(key, bytes) else key)
        token = uuid.uuid4().hex
        key = f"{REDIS_FLUSHING_PREFIX}{token}"
        try:
            self.client.rename(REDIS_PENDING_KEY, key)
        except Exception as exc:  # redis.ResponseError "no such key": nothing pending
            if "no such key" not in str(exc).lower():
                raise
            return total
        return total + self._apply_key(key)

    def _apply_key(self, key: str) -> int:
        token = key.removeprefix(REDIS_FLUSHING_PREFIX)
        raw = self.client.hgetall(key)
        pending = Counter({int(k): int(v) for k, v in raw.items()})
        applied = False
        with transaction.atomic():
            _, created = CounterFlush.objects.get_or_create(token=token)
            if created:
                _apply(pending)
                applied = True
        self.client.delete(key)
        return sum(pending.values()) if applied else 0

    def pending(self, *, video_id: int) -> int:
        return int(self.client.hget(REDIS_PENDING_KEY, str(video_id)) or 0) + self.fallback.pending(video_id=video_id)


def _apply(pending: Counter) -> None:
    """Add one batch to the videos, in the caller's transaction; each video that took views records
    ``view.counted`` (a video deleted since took none)."""
    for video_id, delta in pending.items():
        if delta and Video.objects.filter(pk=video_id).update(views_count=F("views_count") + delta):
            events.record("view.counted", video_id=video_id, views=delta)
    video_cache_invalidate(video_ids=[video_id for video_id, delta in pending.items() if delta])


def counter_store():
    client = get_redis()
    return RedisCounterStore(client) if client is not None else DatabaseCounterStore()

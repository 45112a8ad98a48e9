"""Timeline stores: capped, id-scored home timelines per reader.

Both stores keep at most ``FEED_TIMELINE_CAP`` entries per reader (Mastodon keeps 800), score
entries by the time-ordered post id, and refuse to insert a repost of a post that is already among
the reader's newest ``FEED_REPOST_WINDOW`` entries (as itself or as another repost). A timeline is
*warm* while it is being read; one that was not read for ``FEED_ACTIVE_DAYS`` (its owner was not
fanned out to) is *cold* and rebuilt from the database by the feed service.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from posts.models import TimelineEntry, TimelineState
from socialflow.redis import get_redis

# Insert one entry, refusing a repost whose original (or another repost of it) is near the top.
# KEYS[1] timeline zset, KEYS[2] hash original id -> repost entry id
# ARGV: entry id, original id ("0" for a plain post), cap, repost window
PUSH_SCRIPT = """
local entry = ARGV[1]
local original = ARGV[2]
local cap = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
if original ~= '0' then
  local rank = redis.call('ZREVRANK', KEYS[1], original)
  if rank and rank < window then return 0 end
  local previous = redis.call('HGET', KEYS[2], original)
  if previous then
    rank = redis.call('ZREVRANK', KEYS[1], previous)
    if rank and rank < window then return 0 end
  end
  if redis.call('HLEN', KEYS[2]) > 2 * cap then redis.call('DEL', KEYS[2]) end
  redis.call('HSET', KEYS[2], original, entry)
end
redis.call('ZADD', KEYS[1], entry, entry)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(cap + 1))
return 1
"""

# The warm marker holds the run id of the Redis server that set it. A Redis restarted from its AOF
# may have lost its last acknowledged writes (appendfsync everysec postpones a write while an fsync
# is slow), timeline entries among them, and still hold the marker: a marker another server run
# set reads as cold, so that timeline is rebuilt (merged) from the database on its next read.
# KEYS[1] warm marker; ARGV[1] its TTL in seconds. TOUCH returns 1 when warm.
_RUN_ID = "local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')\n"
_TOUCH = """
local was = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], run, 'EX', ARGV[1])
"""
TOUCH_SCRIPT = _RUN_ID + _TOUCH + "if was == run then return 1 end\nreturn 0\n"
# The same touch, then (when warm) the first page: one round trip for a feed read.
# KEYS[1] warm marker, KEYS[2] timeline; ARGV: TTL, upper score ("+inf" or "<id>"), limit.
# Returns nil when cold, else the page's ids.
TOUCH_PAGE_SCRIPT = (
    _RUN_ID
    + _TOUCH
    + """if was ~= run then return false end
return redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[2], '-inf', 'LIMIT', 0, ARGV[3])
"""
)
MARK_WARM_SCRIPT = _RUN_ID + "redis.call('SET', KEYS[1], run, 'EX', ARGV[1])\nreturn 1\n"


class TimelineStore(abc.ABC):
    """The interface the feed service talks to. Entries are ``(post_id, original_id | None)``."""

    @property
    def cap(self) -> int:
        return settings.FEED_TIMELINE_CAP

    @property
    def repost_window(self) -> int:
        return settings.FEED_REPOST_WINDOW

    @abc.abstractmethod
    def push(self, *, user_ids: Sequence[int], post_id: int, original_id: int | None = None) -> int:
        """Insert one post into many timelines (one round trip); returns how many took it."""

    @abc.abstractmethod
    def page(self, *, user_id: int, max_id: int | None, limit: int) -> list[int]:
        """Up to ``limit`` post ids below ``max_id`` (exclusive), newest first."""

    @abc.abstractmethod
    def remove(self, *, user_ids: Iterable[int], post_ids: Sequence[int]) -> None:
        """Remove these post ids from these timelines."""

    @abc.abstractmethod
    def fill(self, *, user_id: int, entries: Sequence[tuple[int, int | None]]) -> None:
        """Merge entries (a rebuild or a follow) into the timeline, then trim it to the cap."""

    @abc.abstractmethod
    def touch(self, *, user_id: int) -> bool:
        """Record a read. True if the timeline is warm (it received every fan-out since it was
        last marked warm); False if it is cold and must be rebuilt, then ``mark_warm``-ed."""

    def touch_page(self, *, user_id: int, max_id: int | None, limit: int) -> list[int] | None:
        """``touch``, then ``page`` if the timeline is warm: the page's ids, or None when cold."""
        if not self.touch(user_id=user_id):
            return None
        return self.page(user_id=user_id, max_id=max_id, limit=limit)

    @abc.abstractmethod
    def mark_warm(self, *, user_id: int) -> None:
        """Record a read: the owner is active, so fan-outs reach this timeline from now on."""

    @abc.abstractmethod
    def clear(self, *, user_id: int) -> None:
        """Drop the timeline (it will be rebuilt cold on the next read)."""

    @abc.abstractmethod
    def trim(self) -> int:
        """Trim every timeline to the cap (housekeeping); returns how many entries were removed."""

    def warm_ttl(self) -> timedelta:
        return timedelta(days=settings.FEED_ACTIVE_DAYS)


class RedisTimelineStore(TimelineStore):
    """Sorted sets ``tl:<user>`` (member = score = post id) plus ``tl:<user>:r`` repost tracking."""

    prefix = "sf:tl"

    def __init__(self, client=None):
        self.redis = client or get_redis()
        self._push = self.redis.register_script(PUSH_SCRIPT)
        self._touch = self.redis.register_script(TOUCH_SCRIPT)
        self._touch_page = self.redis.register_script(TOUCH_PAGE_SCRIPT)
        self._mark_warm = self.redis.register_script(MARK_WARM_SCRIPT)

    def key(self, user_id: int) -> str:
        return f"{self.prefix}:{user_id}"

    def push(self, *, user_ids, post_id, original_id=None):
        if not user_ids:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        if original_id is None:
            for user_id in user_ids:
                key = self.key(user_id)
                pipe.zadd(key, {post_id: post_id})
                pipe.zremrangebyrank(key, 0, -(self.cap + 1))
            pipe.execute()
            return len(user_ids)
        for user_id in user_ids:
            key = self.key(user_id)
            self._push(keys=[key, f"{key}:r"], args=[post_id, original_id, self.cap, self.repost_window], client=pipe)
        return sum(int(r) for r in pipe.execute())

    # Scores are doubles: past 2**53 neighbouring ids share one (ours are ~1.4e16), so "below
    # max_id" cannot be asked of Redis exactly. A page asks for scores up to max_id's, inclusive,
    # a few more than it needs (every id sharing max_id's score), and drops ids >= max_id here;
    # ties come back in descending member order, which for ids of one length is numeric.
    SHARED_SCORE_SLACK = 8

    def _bounds(self, max_id, limit) -> tuple[str, int]:
        if max_id is None:
            return "+inf", limit
        return str(max_id), limit + self.SHARED_SCORE_SLACK

    @staticmethod
    def _below(ids, max_id, limit) -> list[int]:
        ids = [int(i) for i in ids]
        return (ids if max_id is None else [i for i in ids if i < max_id])[:limit]

    def page(self, *, user_id, max_id, limit):
        upper, fetch = self._bounds(max_id, limit)
        ids = self.redis.zrevrangebyscore(self.key(user_id), upper, "-inf", start=0, num=fetch)
        return self._below(ids, max_id, limit)

    def touch_page(self, *, user_id, max_id, limit):
        key = self.key(user_id)
        ttl = int(self.warm_ttl().total_seconds())
        upper, fetch = self._bounds(max_id, limit)
        ids = self._touch_page(keys=[f"{key}:warm", key], args=[ttl, upper, fetch])
        return None if ids is None else self._below(ids, max_id, limit)

    def remove(self, *, user_ids, post_ids):
        if not post_ids:
            return
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zrem(self.key(user_id), *post_ids)
        pipe.execute()

    def fill(self, *, user_id, entries):
        key = self.key(user_id)
        pipe = self.redis.pipeline(transaction=True)
        if entries:
            pipe.zadd(key, {post_id: post_id for post_id, _ in entries})
            originals = {original: post_id for post_id, original in entries if original}
            if originals:
                pipe.hset(f"{key}:r", mapping=originals)
        pipe.zremrangebyrank(key, 0, -(self.cap + 1))
        pipe.execute()

    def touch(self, *, user_id):
        # One round trip: refreshes the marker's TTL and tells whether this server run set it.
        ttl = int(self.warm_ttl().total_seconds())
        return self._touch(keys=[f"{self.key(user_id)}:warm"], args=[ttl]) == 1

    def mark_warm(self, *, user_id):
        self._mark_warm(keys=[f"{self.key(user_id)}:warm"], args=[int(self.warm_ttl().total_seconds())])

    def clear(self, *, user_id):
        key = self.key(user_id)
        self.redis.delete(key, f"{key}:r", f"{key}:warm")

    def trim(self):
        removed = 0
        for key in self.redis.scan_iter(match=f"{self.prefix}:*", count=1000):
            name = key.decode()
            if name.count(":") == 2:  # sf:tl:<id>, not the :r / :warm companions
                removed += self.redis.zremrangebyrank(key, 0, -(self.cap + 1))
        return removed


class DatabaseTimelineStore(TimelineStore):
    """``TimelineEntry`` rows for the embedded mode (no Redis): same semantics, plain SQL."""

    REFRESH_EVERY = timedelta(hours=1)

    def push(self, *, user_ids, post_id, original_id=None):
        user_ids = list(user_ids)
        if not user_ids:
            return 0
        if original_id is not None:
            near_top = self._repost_near_top(user_ids=user_ids, original_id=original_id)
            user_ids = [u for u in user_ids if u not in near_top]
        TimelineEntry.objects.bulk_create(
            [TimelineEntry(user_id=u, post_id=post_id, original_id=original_id) for u in user_ids],
            ignore_conflicts=True,
        )
        self._trim_over_cap(user_ids)
        return len(user_ids)

    def _repost_near_top(self, *, user_ids: list[int], original_id: int) -> set[int]:
        """Readers among ``user_ids`` whose newest FEED_REPOST_WINDOW entries already hold the
        original or a repost of it: one query for the batch, one more per reader who has it."""
        holders = (
            TimelineEntry.objects.filter(Q(post_id=original_id) | Q(original_id=original_id), user_id__in=user_ids)
            .values("user_id")
            .annotate(newest=Max("post_id"))
            .order_by()
            .values_list("user_id", "newest")
        )
        return {
            user_id
            for user_id, newest in holders
            if TimelineEntry.objects.filter(user_id=user_id, post_id__gt=newest).count() < self.repost_window
        }

    def _trim_over_cap(self, user_ids=None) -> int:
        """Trim the timelines (among ``user_ids``, or all) that outgrew the cap (one counting query)."""
        entries = (
            TimelineEntry.objects.all()
            if user_ids is None
            else TimelineEntry.objects.filter(user_id__in=list(user_ids))
        )
        over = (
            entries.values("user_id")
            .annotate(n=Count("id"))
            .order_by()
            .filter(n__gt=self.cap)
            .values_list("user_id", flat=True)
        )
        return sum(self._trim_one(user_id) for user_id in list(over))

    def _trim_one(self, user_id: int) -> int:
        boundary = (
            TimelineEntry.objects.filter(user_id=user_id)
            .order_by("-post_id")
            .values_list("post_id", flat=True)[self.cap : self.cap + 1]
        )
        boundary = list(boundary)
        if not boundary:
            return 0
        deleted, _ = TimelineEntry.objects.filter(user_id=user_id, post_id__lte=boundary[0]).delete()
        return deleted

    def page(self, *, user_id, max_id, limit):
        entries = TimelineEntry.objects.filter(user_id=user_id)
        if max_id is not None:
            entries = entries.filter(post_id__lt=max_id)
        return list(entries.order_by("-post_id").values_list("post_id", flat=True)[:limit])

    def remove(self, *, user_ids, post_ids):
        user_ids = list(user_ids)
        if post_ids and user_ids:
            TimelineEntry.objects.filter(user_id__in=user_ids, post_id__in=list(post_ids)).delete()

    def fill(self, *, user_id, entries):
        TimelineEntry.objects.bulk_create(
            [TimelineEntry(user_id=user_id, post_id=p, original_id=o) for p, o in entries], ignore_conflicts=True
        )
        self._trim_one(user_id)

    def touch(self, *, user_id):
        now = timezone.now()
        warm_at = TimelineState.objects.filter(user_id=user_id).values_list("warm_at", flat=True).first()
        if warm_at is None or warm_at < now - self.warm_ttl():
            return False
        if warm_at < now - self.REFRESH_EVERY:  # refresh the marker now and then, not every read
            TimelineState.objects.filter(user_id=user_id).update(warm_at=now)
        return True

    def mark_warm(self, *, user_id):
        TimelineState.objects.update_or_create(user_id=user_id, defaults={"warm_at": timezone.now()})

    def clear(self, *, user_id):
        TimelineEntry.objects.filter(user_id=user_id).delete()
        TimelineState.objects.filter(user_id=user_id).delete()

    def trim(self):
        return self._trim_over_cap()


def get_store() -> TimelineStore:
    if settings.FEED_STORE == "redis" and get_redis() is not None:
        return RedisTimelineStore()
    return DatabaseTimelineStore()

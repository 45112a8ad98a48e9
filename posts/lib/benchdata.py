"""Synthetic data sets for ``bench/feed.py`` and ``bench/fanout.py``, loaded with ``bulkload``.

Each data set is keyed by its sizes (username prefix), so re-running a benchmark with the same
sizes reuses what is there and a different size loads a fresh set beside it.
"""

import random
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Follow, User
from posts.lib import bulkload
from posts.lib.ids import EPOCH_MS, SEQUENCE_BITS
from posts.models import Post


def _users(prefix: str, count: int, *, active_every: int = 0) -> list[int]:
    password = make_password(None)
    now = timezone.now()
    rows = (
        {
            "username": f"{prefix}{i}",
            "email": f"{prefix}{i}@bench.invalid",
            "password": password,
            "display_name": f"Bench {i}",
            "date_joined": now,
            "last_seen_at": now if active_every and i % active_every == 0 else None,
            "links": [],
        }
        for i in range(count)
    )
    bulkload.load(User, rows)
    return list(User.objects.filter(username__startswith=prefix).order_by("pk").values_list("pk", flat=True))


def feed_dataset(*, users: int, posts: int, following: int, seed: int = 7) -> dict:
    """``users`` accounts, ``posts`` posts spread over 30 days, and a reader following
    ``following`` of the accounts. Returns ``{"reader_id", "following_ids"}``."""
    prefix = f"fb{users}x{posts}x{following}_"
    reader_name = f"{prefix}reader"
    reader = User.objects.filter(username=reader_name).first()
    if reader is None:
        rng = random.Random(seed)
        with transaction.atomic():
            ids = _users(prefix + "u", users)
            now = timezone.now()
            start_ms = int((now - timedelta(days=30)).timestamp() * 1000)
            end_ms = int(now.timestamp() * 1000)
            stamps = sorted(rng.randrange(start_ms, end_ms) for _ in range(posts))

            def rows():
                last = None
                for i, ms in enumerate(stamps):
                    post_id = (ms - EPOCH_MS) << SEQUENCE_BITS | (i & 0xFFFF)
                    if last is not None and post_id <= last:
                        post_id = last + 1
                    last = post_id
                    created = datetime.fromtimestamp(ms / 1000, tz=UTC)
                    yield {
                        "id": post_id,
                        "author_id": ids[rng.randrange(len(ids))],
                        "text": f"bench post {i} about #topic{i % 97}",
                        "created_at": created,
                        "entities": {"hashtags": [f"topic{i % 97}"], "mentions": []},
                        "attachments": [],
                    }

            bulkload.load(Post, rows())
            reader = User.objects.create(
                username=reader_name, email=f"{reader_name}@bench.invalid", last_seen_at=timezone.now()
            )
            followees = rng.sample(ids, min(following, len(ids)))
            bulkload.load(Follow, ({"follower_id": reader.pk, "followee_id": f} for f in followees))
            User.objects.filter(pk=reader.pk).update(following_count=len(followees))
            User.objects.filter(pk__in=followees).update(followers_count=1)
        _analyze()
    following_ids = list(Follow.objects.filter(follower_id=reader.pk).values_list("followee_id", flat=True))
    return {"reader_id": reader.pk, "following_ids": following_ids}


def fanout_dataset(*, followers: int, active_pct: int) -> dict:
    """An author with ``followers`` followers, ``active_pct`` % of them seen just now."""
    prefix = f"fo{followers}x{active_pct}_"
    author_name = f"{prefix}author"
    author = User.objects.filter(username=author_name).first()
    if author is None:
        every = max(1, round(100 / active_pct)) if active_pct else 0
        with transaction.atomic():
            ids = _users(prefix + "f", followers, active_every=every)
            author = User.objects.create(username=author_name, email=f"{author_name}@bench.invalid")
            bulkload.load(Follow, ({"follower_id": f, "followee_id": author.pk} for f in ids))
            User.objects.filter(pk=author.pk).update(followers_count=len(ids))
        _analyze()
    # Activity is relative to now: refresh it so the active share is right on every run.
    every = max(1, round(100 / active_pct)) if active_pct else 0
    follower_ids = list(
        Follow.objects.filter(followee_id=author.pk).order_by("follower_id").values_list("follower_id", flat=True)
    )
    active = [f for i, f in enumerate(follower_ids) if every and i % every == 0]
    User.objects.filter(pk__in=follower_ids).update(last_seen_at=None)
    for start in range(0, len(active), 10_000):
        User.objects.filter(pk__in=active[start : start + 10_000]).update(last_seen_at=timezone.now())
    return {"author_id": author.pk, "active_ids": active, "follower_count": len(follower_ids)}


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

"""Writes for accounts. Plain functions, keyword-only arguments, one transaction each."""

from datetime import timedelta

from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User

COUNTER_FIELDS = frozenset({"followers_count", "following_count", "posts_count", "videos_count"})
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def user_counter_add(*, user_id: int, field: str, delta: int) -> None:
    """Atomically add ``delta`` to one of the user's counters (never below zero).

    Called by the owning domain's services inside their transaction (posts for posts_count and
    follows, videos for videos_count).
    """
    if field not in COUNTER_FIELDS:
        raise ValueError(f"{field!r} is not a user counter")
    User.objects.filter(pk=user_id).update(**{field: Greatest(F(field) + delta, 0)})


def user_mark_seen(*, user: User) -> None:
    """Record activity, at most once per ``LAST_SEEN_RESOLUTION`` (feeds fan out to active users)."""
    now = timezone.now()
    if user.last_seen_at and now - user.last_seen_at < LAST_SEEN_RESOLUTION:
        return
    User.objects.filter(pk=user.pk).update(last_seen_at=now)
    user.last_seen_at = now

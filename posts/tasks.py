"""Celery tasks for posts: thin, id-based, idempotent; they call the feed services."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from posts.feeds import home
from posts.feeds.stores import get_store
from posts.lib.ids import id_at
from posts.services import counters_recount

RETRY = {"autoretry_for": (ConnectionError, OSError), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


@shared_task(**RETRY)
def fanout_post(post_id: int) -> int:
    """Push a new post into its audience's home timelines (re-pushing is harmless)."""
    return home.timeline_fanout(post_id=post_id)


@shared_task(**RETRY)
def timeline_remove_posts(post_ids: list[int]) -> None:
    home.timeline_remove_posts(post_ids=post_ids)


@shared_task
def recount_counters() -> int:
    """Periodic repair: exact user counters, and post counters of the last two days."""
    return counters_recount(post_min_id=id_at(timezone.now() - timedelta(days=2)))


@shared_task
def trim_timelines() -> int:
    return get_store().trim()

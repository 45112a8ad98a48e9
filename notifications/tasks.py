"""Celery tasks: thin, take ids, idempotent; the work is in services and delivery."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from notifications import delivery, selectors, services
from socialflow.reliability.queue import behind_the_backlog


@shared_task(acks_late=True)
def fan_out_to_followers(fan_out_id: int) -> int:
    """Split the author's followers into chunk rows (once), queue a task for every chunk not done
    but the first and tell the first chunk here (most authors have one chunk of followers: that
    saves a task per post). Returns how many chunks were left to do."""
    fan_out = services.fan_out_claim(fan_out_id=fan_out_id)
    if fan_out is None:
        return 0
    chunk_ids = services.fan_out_plan(fan_out=fan_out)
    for chunk_id in chunk_ids[1:]:
        notify_followers_chunk.delay(chunk_id)
    if chunk_ids:
        services.fan_out_chunk_run(chunk_id=chunk_ids[0])
    return len(chunk_ids)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_followers_chunk(chunk_id: int) -> int:
    return services.fan_out_chunk_run(chunk_id=chunk_id) or 0


@shared_task(acks_late=True)
def redrive_fan_outs(queued_at: str | None = None) -> int:
    """Periodic (CELERY_BEAT_SCHEDULE["notifications-redrive-fan-outs"]): queue again the follower
    fan-outs and chunks whose message was lost, judged from behind the queue's backlog
    (``behind_the_backlog``); returns how many tasks were queued."""
    as_of = behind_the_backlog(redrive_fan_outs, queued_at)
    if as_of is None:
        return 0
    fan_out_ids, chunk_ids = services.fan_outs_requeue_stuck(
        quiet_for=settings.NOTIFICATIONS_FANOUT_REDRIVE_AFTER, as_of=as_of
    )
    for fan_out_id in fan_out_ids:
        fan_out_to_followers.delay(fan_out_id)
    for chunk_id in chunk_ids:
        notify_followers_chunk.delay(chunk_id)
    return len(fan_out_ids) + len(chunk_ids)


@shared_task(acks_late=True)
def send_deliveries(delivery_ids: list[int]) -> int:
    """Send pending email/push deliveries; rows already claimed or done are skipped."""
    done = 0
    for delivery_id in delivery_ids:
        if delivery.deliver(delivery_id=delivery_id) is not None:
            done += 1
    return done


@shared_task(acks_late=True)
def send_daily_digests() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE["notifications-daily-digest"]): one digest task per user."""
    user_ids = selectors.digest_user_ids()
    for user_id in user_ids:
        send_digest.delay(user_id)
    return len(user_ids)


@shared_task(acks_late=True)
def send_digest(user_id: int) -> int:
    return delivery.send_digest(user_id=user_id)


@shared_task(acks_late=True)
def redrive_deliveries() -> int:
    """Periodic reconcile: re-queue deliveries that a broker outage or a dead worker left behind.
    Returns how many rows were queued again."""
    ids = services.deliveries_requeue_stuck(
        pending_older_than=timedelta(minutes=2), sending_older_than=timedelta(minutes=15)
    )
    for start in range(0, len(ids), 100):
        send_deliveries.delay(ids[start : start + 100])
    return len(ids)


@shared_task(acks_late=True)
def prune_notifications() -> int:
    """Periodic (daily): apply NOTIFICATIONS_RETENTION."""
    return services.notifications_prune(retention=settings.NOTIFICATIONS_RETENTION)

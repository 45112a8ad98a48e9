"""Celery tasks: thin, take ids, idempotent; the work is in services and delivery."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from notifications import delivery, selectors, services


@shared_task(acks_late=True)
def fan_out_to_followers(fan_out_id: int) -> int:
    """Split the author's followers into chunks and queue one task per chunk; returns the chunk count."""
    fan_out = services.fan_out_claim(fan_out_id=fan_out_id)
    if fan_out is None:
        return 0
    chunks = services.follower_chunks(author_id=fan_out.author_id)
    for chunk in chunks:
        notify_followers_chunk.delay(
            fan_out.author_id,
            fan_out.kind,
            fan_out.target_content_type_id,
            fan_out.target_object_id,
            fan_out.data,
            chunk,
        )
    services.fan_out_finish(fan_out=fan_out, chunks=len(chunks))
    return len(chunks)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_followers_chunk(
    author_id: int, kind: str, content_type_id: int | None, object_id: str, data: dict, recipient_ids: list[int]
) -> int:
    created = services.notification_fan_out_chunk(
        author_id=author_id,
        kind=kind,
        target_content_type_id=content_type_id,
        target_object_id=object_id,
        data=data,
        recipient_ids=recipient_ids,
    )
    return len(created)


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
    """Periodic reconcile: re-queue deliveries and follower fan-outs that a broker outage or a dead
    worker left behind. Returns how many rows were queued again."""
    ids = services.deliveries_requeue_stuck(
        pending_older_than=timedelta(minutes=2), sending_older_than=timedelta(minutes=15)
    )
    for start in range(0, len(ids), 100):
        send_deliveries.delay(ids[start : start + 100])
    fan_out_ids = services.fan_outs_requeue_stuck(
        pending_older_than=timedelta(minutes=2), running_older_than=timedelta(minutes=30)
    )
    for fan_out_id in fan_out_ids:
        fan_out_to_followers.delay(fan_out_id)
    return len(ids) + len(fan_out_ids)


@shared_task(acks_late=True)
def prune_notifications() -> int:
    """Periodic (daily): apply NOTIFICATIONS_RETENTION."""
    return services.notifications_prune(retention=settings.NOTIFICATIONS_RETENTION)

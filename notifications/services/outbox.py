"""The delivery and fan-out outboxes: claim by compare-and-swap, record outcomes, reconcile."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import (
    Channel,
    Delivery,
    NotificationSettings,
)

MAX_DELIVERY_ATTEMPTS = 5


def delivery_claim(*, delivery_id: int) -> Delivery | None:
    """Compare-and-swap PENDING → SENDING; None when another worker has it or it is done."""
    changed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, attempts=F("attempts") + 1
    )
    if not changed:
        return None
    return Delivery.objects.select_related("notification", "notification__recipient").get(pk=delivery_id)


def delivery_record(*, delivery: Delivery, ok: bool, result: str = "", retry: bool = False) -> Delivery:
    """Record the outcome of a send. ``retry`` puts it back to PENDING unless attempts ran out."""
    if ok:
        status = Delivery.Status.SENT
    elif retry and delivery.attempts < MAX_DELIVERY_ATTEMPTS:
        status = Delivery.Status.PENDING
    else:
        status = Delivery.Status.FAILED
    delivery.status = status
    delivery.result = result[:2000]
    delivery.sent_at = timezone.now() if ok else None
    delivery.save(update_fields=["status", "result", "sent_at"])
    return delivery


def delivery_skip(*, delivery: Delivery, reason: str) -> Delivery:
    delivery.status = Delivery.Status.SKIPPED
    delivery.result = reason
    delivery.save(update_fields=["status", "result"])
    return delivery


def digest_claim(*, user_id: int) -> list[Delivery]:
    """Claim the user's digest-waiting email deliveries (DIGEST → SENDING), oldest first."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update()
            .filter(notification__recipient_id=user_id, channel=Channel.EMAIL, status=Delivery.Status.DIGEST)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.DIGEST).update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1
        )
    return list(Delivery.objects.filter(pk__in=ids).select_related("notification").order_by("notification__created_at"))


def digest_record(*, user_id: int, delivery_ids: list[int], ok: bool, result: str = "") -> None:
    now = timezone.now()
    with transaction.atomic():
        if ok:
            Delivery.objects.filter(pk__in=delivery_ids).update(status=Delivery.Status.SENT, sent_at=now, result=result)
            NotificationSettings.objects.update_or_create(user_id=user_id, defaults={"last_digest_at": now})
        else:
            # Back to the digest queue: tomorrow's digest (or a rerun) picks them up again.
            Delivery.objects.filter(pk__in=delivery_ids).update(status=Delivery.Status.DIGEST, result=result[:2000])


def deliveries_skip(*, delivery_ids: list[int], reason: str) -> None:
    Delivery.objects.filter(pk__in=delivery_ids).update(status=Delivery.Status.SKIPPED, result=reason)


def deliveries_requeue_stuck(*, pending_older_than: timedelta, sending_older_than: timedelta) -> list[int]:
    """Reconcile: pending rows nobody picked up (broker outage) and rows stuck in SENDING (worker
    died mid-send) older than the deadlines go back to PENDING; returns the ids to queue again."""
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(
            status=Delivery.Status.SENDING, created_at__lt=now - sending_older_than, attempts__lt=MAX_DELIVERY_ATTEMPTS
        ).update(status=Delivery.Status.PENDING)
        Delivery.objects.filter(
            status=Delivery.Status.SENDING, created_at__lt=now - sending_older_than, attempts__gte=MAX_DELIVERY_ATTEMPTS
        ).update(status=Delivery.Status.FAILED, result="gave up after repeated attempts")
        return list(
            Delivery.objects.filter(status=Delivery.Status.PENDING, created_at__lt=now - pending_older_than)
            .order_by("pk")
            .values_list("pk", flat=True)[:5000]
        )


def deliveries_retry(*, delivery_ids: list[int]) -> list[int]:
    """Admin retry: failed deliveries go back to PENDING with a fresh attempt budget."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.FAILED).values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.FAILED).update(
            status=Delivery.Status.PENDING, attempts=0
        )
    return ids

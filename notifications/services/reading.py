"""Read state (mark read, delete) and cleanup (deleted targets, retention)."""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications import realtime
from notifications.models import (
    FollowerFanOut,
    Notification,
)
from notifications.services.notify import target_ref


def notifications_mark_read(*, user, ids: list[int] | None = None, all: bool = False) -> int:
    """Mark the user's notifications read (the given ids, or all); returns how many changed.

    Ids of other users' notifications are ignored. Open groups stay open: a new like on a read
    group makes it unread again within the aggregation window.
    """
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if not all:
        qs = qs.filter(pk__in=ids or [])
    with transaction.atomic():
        changed = qs.update(read_at=timezone.now())
    if changed:
        _push_unread_count_on_commit(user_id=user.pk)
    return changed


def notification_delete(*, notification: Notification) -> None:
    user_id, was_unread = notification.recipient_id, notification.read_at is None
    with transaction.atomic():
        notification.delete()
    if was_unread:
        _push_unread_count_on_commit(user_id=user_id)


def _push_unread_count_on_commit(*, user_id: int) -> None:
    transaction.on_commit(lambda: realtime.push_unread_count(user_id=user_id), robust=True)


# --- cleanup ----------------------------------------------------------------------------------------


def notifications_delete_for_target(*, target) -> int:
    """Remove every notification about ``target`` (a deleted post, comment, video or stream), so
    nobody opens a notification about content that is gone."""
    content_type, object_id = target_ref(target)
    return _delete_for_targets(content_type=content_type, object_ids=[object_id])


def notifications_delete_for_targets(*, model: str, object_ids: list) -> int:
    """As ``notifications_delete_for_target`` for targets already gone, named by their model's
    label (``"videos.video"``) and ids: the handlers of ``post.deleted``, ``video.deleted``, … call it."""
    app_label, model_name = model.lower().split(".")
    content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
    return _delete_for_targets(content_type=content_type, object_ids=[str(pk) for pk in object_ids])


def _delete_for_targets(*, content_type, object_ids: list[str]) -> int:
    with transaction.atomic():
        _total, per_model = Notification.objects.filter(
            target_content_type=content_type, target_object_id__in=object_ids
        ).delete()
        # A fan-out not started yet never starts; one under way is left to finish (rare, harmless).
        FollowerFanOut.objects.filter(
            target_content_type=content_type, target_object_id__in=object_ids, status=FollowerFanOut.Status.PENDING
        ).update(status=FollowerFanOut.Status.DONE, finished_at=timezone.now())
    return per_model.get(Notification._meta.label, 0)


def notifications_prune(*, retention: timedelta) -> int:
    """Retention: read notifications older than ``retention`` and any older than twice that go,
    with their deliveries and actors; finished fan-out rows older than a week go too."""
    now = timezone.now()
    with transaction.atomic():
        _total, per_model = Notification.objects.filter(
            Q(read_at__isnull=False, updated_at__lt=now - retention) | Q(updated_at__lt=now - 2 * retention)
        ).delete()
        FollowerFanOut.objects.filter(
            status=FollowerFanOut.Status.DONE, finished_at__lt=now - timedelta(days=7)
        ).delete()
    return per_model.get(Notification._meta.label, 0)

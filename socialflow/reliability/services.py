"""Writes of the reliability plumbing: idempotency records and deferred tasks."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from socialflow.redis import REDIS_DOWN_ERRORS
from socialflow.reliability.models import DeferredTask, IdempotencyKey

logger = logging.getLogger(__name__)


def idempotency_key_claim(*, user, key: str, method: str, path: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """Insert the key, or return the committed record of an earlier request with it.

    Must run inside the caller's transaction (the one of the guarded write). Returns ``(record,
    created)``. A concurrent request with the same key waits on the unique index until the first
    one commits (then gets its record) or rolls back (then takes the key itself).
    """
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=user, key=key, method=method, path=path, fingerprint=fingerprint
            )
        return record, True
    except IntegrityError:
        return IdempotencyKey.objects.select_for_update().get(user=user, key=key), False


def idempotency_key_complete(*, record: IdempotencyKey, status_code: int, body, headers: dict) -> None:
    record.status_code, record.body, record.headers = status_code, body, headers
    record.save(update_fields=["status_code", "body", "headers"])


def idempotency_keys_prune(*, now=None) -> int:
    """Delete keys older than ``IDEMPOTENCY_KEY_TTL_HOURS``; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def deferred_task_create(*, name: str, args: list, kwargs: dict, error: str) -> DeferredTask:
    return DeferredTask.objects.create(name=name, args=args, kwargs=kwargs, error=error[:500])


def deferred_tasks_redrive(*, limit: int = 500) -> int:
    """Publish deferred tasks oldest first, deleting each once published; stop at the first
    publish that fails (the broker is still down). At least once: tasks are idempotent."""
    from socialflow.celery import app

    sent = 0
    for row in DeferredTask.objects.order_by("id")[:limit]:
        task = app.tasks.get(row.name)
        if task is None:
            logger.error("deferred task %s (%s) names no registered task; dropped", row.pk, row.name)
            row.delete()
            continue
        try:
            task.apply_async(args=row.args, kwargs=row.kwargs)
        except REDIS_DOWN_ERRORS as exc:
            DeferredTask.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, error=str(exc)[:500])
            logger.warning("re-driving deferred tasks stopped: broker still unreachable (%s)", exc)
            break
        row.delete()
        sent += 1
    return sent

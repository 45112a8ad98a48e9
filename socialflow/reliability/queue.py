"""Queue a Celery task after commit without ever turning a committed write into an error.

``transaction.on_commit(lambda: task.delay(...))`` raised into the request when the broker was
down, so a post that was saved answered 500 (and the client's retry posted it twice). Here a
publish that fails (or is skipped because Redis is known to be down right now) keeps the task in
the ``DeferredTask`` table; ``redrive_deferred_tasks`` publishes it once the broker answers again.
"""

import logging
from datetime import datetime
from importlib import import_module

from celery import current_app
from django.db import transaction
from django.utils import timezone

from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down
from socialflow.reliability.services import deferred_task_create

logger = logging.getLogger(__name__)


def task_named(name: str):
    """The Celery task registered as ``name`` (``"<app>.tasks.<function>"``), importing its module
    when this process has not yet (a web process imports an app's tasks only when it queues one)."""
    task = current_app.tasks.get(name)
    if task is None:
        import_module(name.rpartition(".")[0])
        task = current_app.tasks[name]
    return task


def enqueue(task, *args, **kwargs) -> bool:
    """Publish ``task`` (a task or its name) now; True if it was published, False if it was deferred.

    A service queues its own app's tasks by name: ``tasks.py`` imports the services it wraps, so
    the services importing ``tasks`` back would make an import cycle.
    """
    if isinstance(task, str):
        task = task_named(task)
    error = "redis is marked down"
    if not redis_marked_down():
        try:
            task.apply_async(args=args, kwargs=kwargs)
            return True
        except REDIS_DOWN_ERRORS as exc:
            error = f"{type(exc).__name__}: {exc}"
    logger.warning("task %s deferred (broker unavailable: %s)", task.name, error)
    deferred_task_create(name=task.name, args=list(args), kwargs=kwargs, error=error)
    return False


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """``enqueue`` (a task or its name) once the current transaction commits (at once outside a
    transaction)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def behind_the_backlog(task, queued_at: str | None) -> datetime | None:
    """For a periodic re-drive of lost messages: when it is called by beat (``queued_at`` None), it
    sends ``task`` once more to the back of its queue, stamped with the time, and returns None; the
    stamped call gets that time back.

    The queue is first in, first out: by the time the stamped call runs, every message queued
    before the stamp has been taken by a worker. Work still pending from before the stamp was
    lost (or is still running), while work waiting in a long backlog is not: a re-drive judging
    by the stamp, not by its own start, never floods a slow queue with duplicates of what it is
    about to do anyway."""
    if queued_at is not None:
        return min(datetime.fromisoformat(queued_at), timezone.now())
    task.delay(queued_at=timezone.now().isoformat())
    return None

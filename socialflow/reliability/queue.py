"""Queue a Celery task after commit without ever turning a committed write into an error.

``transaction.on_commit(lambda: task.delay(...))`` raised into the request when the broker was
down, so a post that was saved answered 500 (and the client's retry posted it twice). Here a
publish that fails (or is skipped because Redis is known to be down right now) keeps the task in
the ``DeferredTask`` table; ``redrive_deferred_tasks`` publishes it once the broker answers again.
"""

import logging

from django.db import transaction

from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down
from socialflow.reliability.services import deferred_task_create

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> bool:
    """Publish ``task`` now; True if it was published, False if it was deferred."""
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
    """``enqueue`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))

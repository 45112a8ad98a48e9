"""Give a dead worker's unacknowledged messages back to the queue when its replacement starts.

With ``acks_late`` a task's message stays unacknowledged until the task finished. Kombu's Redis
transport keeps such messages in an index and puts them back only after its visibility timeout
(an hour, so that slow tasks are never run twice), which is how long work taken by a SIGKILLed
worker would wait. Where one worker serves the deployment (the embedded mode,
``CELERY_RESTORE_UNACKED_ON_START``), every message delivered before the new worker started was
delivered to a worker that is gone, so it is restored at once. Tasks are idempotent: a message
whose task had in fact finished just before the kill runs again to no effect.
"""

import logging
import time

from kombu import Connection

logger = logging.getLogger(__name__)


def restore_unacked_before(connection: Connection, started_at: float) -> int:
    """Put back every message delivered (and not acknowledged) before ``started_at``; the count."""
    channel = connection.default_channel
    qos = getattr(channel, "qos", None)
    if not hasattr(qos, "restore_by_tag"):  # not the Redis transport: the broker redelivers itself
        return 0
    client = channel.client
    tags = client.zrange(channel.unacked_index_key, 0, started_at, byscore=True)
    for tag in tags:
        qos.restore_by_tag(tag, client)
    if tags:
        logger.warning("restored %d task message(s) a previous worker took but never acknowledged", len(tags))
    return len(tags)


class WorkerStart:
    """When this worker process started; messages delivered before then were not delivered to it."""

    at: float = time.time()

    @classmethod
    def mark(cls) -> None:
        cls.at = time.time()

"""Celery tasks for live: the reconnect grace period, recordings -> one video per broadcast, and a
reconciliation sweep for stuck streams."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from live import services
from live.models import Recording, Stream

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def end_abandoned_stream(stream_id: int) -> bool:
    """Scheduled at publish-done for the end of the grace period: ends the stream unless its
    publisher came back. Idempotent (a conditional update); reconcile is the backstop."""
    return services.stream_end_if_abandoned(stream_id=stream_id)


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def import_stream_recordings(self, stream_id: int) -> None:
    """An ended stream's recording parts -> one Video. Idempotent: imported/failed parts are left alone."""
    stream = Stream.objects.filter(pk=stream_id, status=Stream.Status.ENDED).first()
    if stream is None:
        return
    try:
        services.stream_recordings_import(stream=stream)
    except OSError as exc:  # storage hiccup: the transaction rolled back, try again later
        raise self.retry(exc=exc) from exc


@shared_task(acks_late=True)
def import_recording(recording_id: int) -> None:
    """Messages queued before recordings were imported per stream: import that recording's stream."""
    stream_id = Recording.objects.filter(pk=recording_id).values_list("stream_id", flat=True).first()
    if stream_id is not None:
        import_stream_recordings.delay(stream_id)


@shared_task
def reconcile_streams() -> dict:
    """Reconcile, don't trust the callbacks: end abandoned streams and re-drive stuck recordings.

    - idle streams never used for ``LIVE_IDLE_STREAM_TTL`` (and not scheduled later) end;
    - live streams whose publisher left more than ``LIVE_RECONNECT_GRACE_S`` ago end;
    - live streams with no update for ``LIVE_STALE_LIVE_AFTER`` (a lost publish-done) end;
    - ended streams with recordings pending for 10 minutes are imported again.
    """
    now = timezone.now()
    ended = 0
    idle_cutoff = now - settings.LIVE_IDLE_STREAM_TTL
    idle = Stream.objects.filter(status=Stream.Status.IDLE, created_at__lt=idle_cutoff).exclude(
        scheduled_for__gt=idle_cutoff
    )
    stale = Stream.objects.filter(status=Stream.Status.LIVE, updated_at__lt=now - settings.LIVE_STALE_LIVE_AFTER)
    for stream in [*idle, *stale]:
        ended += services.stream_end(stream=stream)
    abandoned = Stream.objects.filter(status=Stream.Status.LIVE, disconnected_at__isnull=False)
    for stream_id in abandoned.values_list("pk", flat=True):
        ended += services.stream_end_if_abandoned(stream_id=stream_id, now=now)
    stuck = Recording.objects.filter(
        status=Recording.Status.PENDING, stream__status=Stream.Status.ENDED, created_at__lt=now - timedelta(minutes=10)
    )
    requeued = 0
    for stream_id in stuck.values_list("stream_id", flat=True).distinct():
        import_stream_recordings.delay(stream_id)
        requeued += 1
    return {"ended": ended, "requeued": requeued}

"""Celery tasks for live: recordings -> videos, and a reconciliation sweep for stuck streams."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from live import services
from live.models import Recording, Stream

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def import_recording(self, recording_id: int) -> None:
    """Recording -> Video. Idempotent: an imported/failed recording is left alone."""
    recording = Recording.objects.filter(pk=recording_id, status=Recording.Status.PENDING).first()
    if recording is None:
        return
    try:
        services.recording_import(recording=recording)
    except OSError as exc:  # storage hiccup: the transaction rolled back, try again later
        raise self.retry(exc=exc) from exc


@shared_task
def reconcile_streams() -> dict:
    """Reconcile, don't trust the callbacks: end abandoned streams and re-drive stuck recordings.

    - idle streams never used for ``LIVE_IDLE_STREAM_TTL`` (and not scheduled later) end;
    - live streams with no update for ``LIVE_STALE_LIVE_AFTER`` (a lost publish-done) end;
    - pending recordings older than 10 minutes are imported again.
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
    stuck = Recording.objects.filter(status=Recording.Status.PENDING, created_at__lt=now - timedelta(minutes=10))
    requeued = 0
    for recording_id in stuck.values_list("pk", flat=True):
        import_recording.delay(recording_id)
        requeued += 1
    return {"ended": ended, "requeued": requeued}

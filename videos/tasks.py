"""Celery tasks of the videos domain: thin, idempotent, take ids, call services.

``transcode_*`` tasks are routed to the ``transcode`` queue by settings.CELERY_TASK_ROUTES.
"""

import logging

from celery import shared_task
from django.conf import settings

from videos import services, storage
from videos.services.transcode import TranscodeRetryableError

logger = logging.getLogger(__name__)


def _run(claim, task) -> str:
    try:
        return services.transcode_run(claim=claim)
    except TranscodeRetryableError as exc:
        if task.request.retries >= settings.VIDEO_TRANSCODE_MAX_ATTEMPTS:
            services.video_mark_failed(video_id=claim.video_id, error=f"Transcoding failed: {str(exc)[:400]}")
            return "failed"
        logger.warning("transcode of video %s failed, retrying: %s", claim.video_id, exc)
        raise task.retry(
            exc=exc, countdown=min(600, 15 * 2**task.request.retries), kwargs={"video_id": claim.video_id}
        ) from exc


@shared_task(bind=True, acks_late=True, max_retries=5)
def transcode_next(self, video_id: int | None = None) -> str:
    """Fair dispatch: each queued job enqueues one of these; it serves whoever waited least-served.

    On retry it carries the id of the job that failed so that job is the one retried.
    """
    claim = services.transcode_claim(video_id=video_id) if video_id else services.transcode_claim_next()
    if claim is None:
        return "idle"
    return _run(claim, self)


@shared_task(bind=True, acks_late=True, max_retries=5)
def transcode_video(self, video_id: int) -> str:
    """Transcode one specific video (reconcile, re-transcode); a no-op if someone else holds it."""
    claim = services.transcode_claim(video_id=video_id)
    if claim is None:
        return "not-claimable"
    return _run(claim, self)


@shared_task
def reconcile_transcodes() -> int:
    ids = services.transcodes_reconcile()
    for video_id in ids:
        transcode_video.delay(video_id)
    return len(ids)


@shared_task
def expire_uploads() -> int:
    return services.upload_expire_abandoned()


@shared_task
def flush_view_counts() -> int:
    return services.view_counts_flush()


@shared_task(ignore_result=True)
def flush_heartbeats() -> int:
    return services.view_heartbeats_flush()


@shared_task
def publish_scheduled() -> int:
    return services.video_publish_due()


@shared_task(acks_late=True)
def delete_video_media(*, prefix: str, names: list[str]) -> None:
    """After a video row is deleted: remove its stored files (idempotent)."""
    for name in names:
        if name and not name.startswith(prefix.rstrip("/") + "/"):
            storage.delete_name(name)
    storage.delete_prefix(prefix)

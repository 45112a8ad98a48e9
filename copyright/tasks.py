"""Celery tasks: thin wrappers over the copyright services."""

from celery import shared_task

from copyright import services


@shared_task(acks_late=True, soft_time_limit=1800)
def fingerprint_reference(reference_id: int) -> str:
    """Fingerprint a reference's media (idempotent: replaces that reference's fingerprints)."""
    reference = services.reference_fingerprint(reference_id=reference_id)
    return reference.status if reference is not None else "gone"


@shared_task(acks_late=True, soft_time_limit=1800)
def fingerprint_video(video_id: int) -> int:
    """Fingerprint an uploaded video and match it (idempotent: one match and claim per reference)."""
    return len(services.video_fingerprint(video_id=video_id))


@shared_task(acks_late=True)
def expire_disputes() -> int:
    """Periodic (hourly): disputes the claimant left unanswered past the deadline are released."""
    return services.claims_expire_disputes()

"""Celery tasks of the moderation app: thin wrappers around ``moderation.services``."""

from celery import shared_task

from moderation import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def classify(target_type: str, target_id: int) -> int:
    """Run the automatic classifiers on one target; returns how many signals were stored."""
    return len(services.classify_target(target_type=target_type, target_id=int(target_id)))


@shared_task
def train_spam_model() -> int | None:
    row = services.spam_model_train()
    return row.version if row is not None else None

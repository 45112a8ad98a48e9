"""Celery tasks: thin wrappers over the ledger services."""

from celery import shared_task

from monetization import services


@shared_task(acks_late=True)
def release_matured_earnings() -> int:
    """Periodic (hourly): pending earnings past MONETIZATION_HOLD_DAYS become available. Idempotent."""
    return services.ledger_release_matured()

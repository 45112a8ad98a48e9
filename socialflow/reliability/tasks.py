from celery import shared_task

from socialflow.reliability import services


@shared_task
def redrive_deferred_tasks() -> int:
    return services.deferred_tasks_redrive()


@shared_task
def prune_idempotency_keys() -> int:
    return services.idempotency_keys_prune()

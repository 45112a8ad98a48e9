"""The Celery application. Tasks live in each app's ``tasks.py`` and are discovered by name."""

import os

from celery import Celery
from celery.signals import worker_init, worker_ready
from django.conf import settings

from socialflow.reliability.unacked import WorkerStart, restore_unacked_before

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialflow.settings")

app = Celery("socialflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _mark_worker_start(**kwargs) -> None:
    WorkerStart.mark()


@worker_ready.connect
def _restore_unacked(sender=None, **kwargs) -> None:
    if settings.CELERY_RESTORE_UNACKED_ON_START:
        with app.connection_for_write() as connection:
            restore_unacked_before(connection, WorkerStart.at)

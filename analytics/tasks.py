"""Thin Celery tasks around analytics services."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from analytics import services


@shared_task(name="analytics.tasks.flush_tracking", ignore_result=True)
def flush_tracking():
    return services.tracking_flush()


@shared_task(name="analytics.tasks.prune_raw_events", ignore_result=True)
def prune_raw_events():
    return services.raw_events_prune(before=timezone.now() - timedelta(days=settings.ANALYTICS_RAW_RETENTION_DAYS))


@shared_task(name="analytics.tasks.train_recommendations", ignore_result=True)
def train_recommendations():
    return services.recommendations_train()

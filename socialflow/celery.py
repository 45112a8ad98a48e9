"""The Celery application. Tasks live in each app's ``tasks.py`` and are discovered by name."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialflow.settings")

app = Celery("socialflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

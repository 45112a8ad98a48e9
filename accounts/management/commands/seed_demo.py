"""Demo data for `make run`: users first, then each domain's own ``<app>/demo.py``.

Idempotent: running it again adds nothing that already exists.
"""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_APPS = [
    "accounts",
    "videos",
    "posts",
    "live",
    "notifications",
    "monetization",
    "copyright",
    "analytics",
    "moderation",
]


class Command(BaseCommand):
    help = "Create demo users, posts and a short generated video (idempotent)."

    def handle(self, *args, **options):
        context: dict = {}
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(context=context, stdout=self.stdout)

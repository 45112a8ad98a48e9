"""Demo data for `make run`: users first, then each domain's own ``<app>/demo.py``.

Seeds once per database: every later `make run` finds the mark and leaves the data alone, however
people changed it since (alice may have blocked bob; a second seed would try to follow again).
"""

import importlib

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import demo_credentials

# The demo site's name doubles as the mark that the demo data is in this database.
SEEDED_MARK = "Social Flow (demo)"

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
        if Site.objects.filter(pk=settings.SITE_ID, name=SEEDED_MARK).exists():
            self.stdout.write("Demo data was seeded before; leaving it as it is.")
            self.stdout.write(demo_credentials())
            return
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
        Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"name": SEEDED_MARK})

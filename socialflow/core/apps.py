from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The seams' own tables (the domain-event outbox). Label ``core``; imports no domain app."""

    name = "socialflow.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # Registers the dispatch, re-drive and prune tasks with Celery in every process.
        from socialflow.core import events  # noqa: F401

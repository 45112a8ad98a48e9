"""The domain-event outbox: one ``Event`` row per thing that happened, one ``HandlerRun`` per
(event, handler) recording that handler's attempts and outcome. See ``socialflow/core/events.py``."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Event(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Recorded, not dispatched yet"
        DISPATCHED = "dispatched", "Dispatched, handlers running"
        DONE = "done", "Every handler finished (done or failed)"

    name = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"], name="core_event_status_created"),
            models.Index(fields=["name", "-created_at"], name="core_event_name_recent"),
        ]

    def __str__(self):
        return f"{self.name} #{self.pk}"


class HandlerRun(models.Model):
    """One handler's work on one event. Unique per (event, handler): a handler's effect and its
    DONE mark commit in one transaction, so a rerun after a crash or a duplicate message is a no-op."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting (first try or a retry after next_attempt_at)"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed for good"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="runs")
    handler = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Who claimed the run last (socket.gethostname(), os.getpid()): the re-drive on the same host
    # releases a RUNNING run at once when that process is gone, instead of after the timeout.
    claimed_host = models.CharField(max_length=255, blank=True)
    claimed_pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="core_handler_run_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_run_status_due"),
        ]

    def __str__(self):
        return f"{self.handler} on {self.event_id}: {self.status}"

"""The seams' tables. The domain-event outbox: one ``Event`` row per thing that happened, one
``HandlerRun`` per (event, handler) recording that handler's attempts and outcome (see
``socialflow/core/events.py``). The audit trail: one ``AuditEntry`` per moderator or staff action
(see ``socialflow/core/audit.py``)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
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


class AuditEntryQuerySet(models.QuerySet):
    """Append-only: rows are created, never changed or removed through the ORM."""

    def update(self, **kwargs):
        raise TypeError("audit entries are append-only")

    def delete(self):
        raise TypeError("audit entries are append-only")


class AuditEntry(models.Model):
    """One moderator or staff action: who (``actor``), what (``action``), on what (``target_*``),
    why (``reason``), when (``created_at``). Written by ``socialflow.core.audit.audit_record`` in the
    action's own transaction; never updated or deleted (the actor's row is protected, so a purged
    moderator is anonymised rather than deleted and the entry still points at them)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A string so big-int and UUID primary keys both fit; the target may be gone since.
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_content_type", "target_id"], name="core_audit_target"),
            models.Index(fields=["action", "-created_at"], name="core_audit_action_recent"),
        ]

    def __str__(self):
        return f"{self.action} on {self.target_repr or self.target_id} by {self.actor_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit entries are append-only")

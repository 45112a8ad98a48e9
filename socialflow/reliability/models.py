from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """The first response to a creating POST sent with an ``Idempotency-Key`` header.

    Written in the same transaction as the write it guards, so a key exists exactly when the write
    committed; a retry with the same key gets ``status_code`` and ``body`` back instead of a second
    write. Pruned after ``IDEMPOTENCY_KEY_TTL_HOURS``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=1024)
    fingerprint = models.CharField(max_length=64)  # sha256 of the request body (and tus headers)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class DeferredTask(models.Model):
    """A Celery task that could not be published (broker unreachable) after its transaction
    committed; ``deferred_tasks_redrive`` publishes it once the broker is back."""

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}{tuple(self.args)}"

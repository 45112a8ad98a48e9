"""Live streams, their chat, bans and recordings. All writes go through ``live.services``."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from socialflow.core.moderation import Moderatable


def new_stream_key() -> str:
    return f"sk_{secrets.token_urlsafe(24)}"


def new_playback_id() -> str:
    return secrets.token_hex(12)


class LiveChannel(models.Model):
    """A broadcaster's channel: the persistent stream key an encoder (OBS) is configured with once.

    Every stream of the owner is published with it; it changes only when the owner rotates it.
    """

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_channel")
    # The secret the broadcaster's encoder publishes with; only ever shown to the owner.
    stream_key = models.CharField(max_length=64, unique=True, default=new_stream_key)
    created_at = models.DateTimeField(auto_now_add=True)
    key_rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"channel of {self.owner_id}"


class Stream(models.Model):
    class Status(models.TextChoices):
        IDLE = "idle", "Idle"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    ACTIVE_STATUSES = (Status.IDLE, Status.LIVE)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_streams")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    category = models.CharField(max_length=50, blank=True, db_index=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)

    # idle -> live -> ended, moved by conditional updates in live.services.
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.IDLE, db_index=True)
    # Set while live when the publisher dropped (publish-done): within LIVE_RECONNECT_GRACE_S a new
    # publish with the channel key resumes this stream; after it, the stream ends.
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # The public name of the HLS output (never the key: a viewer must not learn how to publish).
    playback_id = models.CharField(max_length=32, unique=True, default=new_playback_id)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    chat_enabled = models.BooleanField(default=True)
    members_only = models.BooleanField(default=False, help_text="Only channel members may chat.")
    chat_established_only = models.BooleanField(
        default=False, help_text="Only accounts older than LIVE_CHAT_ESTABLISHED_MINUTES may chat."
    )
    slow_mode_s = models.PositiveIntegerField(default=0, help_text="Seconds between two messages of a viewer.")
    moderators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="moderated_streams")

    # Metrics (F()-updated). Average viewers = watch_time_ms / live duration.
    current_viewers = models.PositiveIntegerField(default=0)
    peak_viewers = models.PositiveIntegerField(default=0)
    chat_messages_count = models.PositiveIntegerField(default=0)
    watch_time_ms = models.PositiveBigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(status__in=["idle", "live"]),
                name="live_stream_one_active_per_owner",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="live_stream_title_not_empty"),
        ]
        indexes = [models.Index(fields=["status", "category", "-started_at"], name="live_stream_listing")]

    def __str__(self):
        return f"{self.title} ({self.status})"

    @property
    def stream_key(self) -> str:
        """The owner's channel key (one per broadcaster, kept across streams); "" before they have one."""
        channel = getattr(self.owner, "live_channel", None)  # RelatedObjectDoesNotExist is an AttributeError
        return channel.stream_key if channel is not None else ""

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration_ms(self) -> int | None:
        if not self.started_at:
            return None
        from django.utils import timezone

        end = self.ended_at or timezone.now()
        return max(0, int((end - self.started_at).total_seconds() * 1000))

    @property
    def average_viewers(self) -> float | None:
        duration = self.duration_ms
        if not duration:
            return None
        return round(self.watch_time_ms / duration, 2)


class ChatMessage(Moderatable, models.Model):
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="chat_messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_chat_messages")
    text = models.CharField(max_length=500)
    # Set for a message another app posts on someone's behalf, shown highlighted in the room:
    # a paid tip (super chat) is {"kind": "tip", "amount": {"amount": <minor units>, "currency": "usd"}}.
    highlight = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Deleted by its author; a message deleted by the streamer or a moderator is removed instead
    # (the moderation_* fields of Moderatable, with who did it).
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["stream", "-created_at", "-id"], name="live_chat_history")]
        constraints = [*Moderatable.Meta.constraints]

    def __str__(self):
        return f"{self.user_id}: {self.text[:40]}"


class StreamBan(models.Model):
    """A ban (``expires_at`` null) or a timeout (``expires_at`` set) from one stream's chat."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_bans")
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="live_ban_one_per_user")]

    def __str__(self):
        return f"{self.user_id} banned from {self.stream_id}"


class Recording(models.Model):
    """A file recorded by the ingest server; becomes a normal Video (the replay)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Failed"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="recordings")
    path = models.CharField(max_length=1000)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    video = models.ForeignKey(
        "videos.Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="live_recordings"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [models.UniqueConstraint(fields=["stream", "path"], name="live_recording_once_per_file")]

    def __str__(self):
        return self.path

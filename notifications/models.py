"""Notifications: the in-app rows, who acted, the delivery outbox, preferences and push devices.

A ``Notification`` is written by ``notifications.services.notify`` inside the caller's transaction.
Bursts of the same event on the same target (13 likes on one post) collapse into one row: while a
group is open (``group_open``), new actors join it (``NotificationActor``) instead of adding rows; a
partial unique constraint guarantees at most one open group per recipient and ``group_key``, so
concurrent notifies can never duplicate it. Email and push are outbox rows (``Delivery``) saved
before sending, with the outcome recorded afterwards by the Celery tasks.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    FOLLOW = "follow", "New follower"
    FOLLOW_REQUEST = "follow_request", "Follow request"
    FOLLOW_ACCEPTED = "follow_accepted", "Follow request accepted"
    LIKE_POST = "like_post", "Like on your post"
    LIKE_VIDEO = "like_video", "Like on your video"
    LIKE_COMMENT = "like_comment", "Like on your comment"
    REPLY = "reply", "Reply to your post"
    MENTION = "mention", "Mention"
    REPOST = "repost", "Repost of your post"
    QUOTE = "quote", "Quote of your post"
    COMMENT = "comment", "Comment on your video"
    COMMENT_REPLY = "comment_reply", "Reply to your comment"
    NEW_POST = "new_post", "New post from someone you follow"
    NEW_VIDEO = "new_video", "New video from someone you follow"
    LIVE_STARTED = "live_started", "Live stream started by someone you follow"
    VIDEO_READY = "video_ready", "Your video is ready"
    VIDEO_FAILED = "video_failed", "Your video failed to process"
    COPYRIGHT_CLAIM = "copyright_claim", "Copyright claim"
    PAYOUT_SENT = "payout_sent", "Payout sent"
    TIP_RECEIVED = "tip_received", "Tip received"
    NEW_MEMBER = "new_member", "New member"
    MODERATION_ACTION = "moderation_action", "Moderation action on your content"
    REPORT_RESOLVED = "report_resolved", "Your report was reviewed"
    AD_CAMPAIGN_REVIEWED = "ad_campaign_reviewed", "Your ad campaign was reviewed"
    AD_CAMPAIGN_ENDED = "ad_campaign_ended", "Your ad campaign ended"


# Fan-out kinds: once per (recipient, author, target), however often a chunk task is delivered.
FOLLOWER_KIND_VALUES = ("new_post", "new_video", "live_started")


class Channel(models.TextChoices):
    IN_APP = "in_app", "In app"
    EMAIL = "email", "Email"
    PUSH = "push", "Push"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"
    OFF = "off", "Never"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The most recent actor; every actor of an aggregated group is in NotificationActor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actors_count = models.PositiveIntegerField(default=0)
    target_content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A string so big-int and UUID primary keys both fit.
    target_object_id = models.CharField(max_length=64, blank=True, default="")
    target = GenericForeignKey("target_content_type", "target_object_id")
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Aggregation: rows with the same group_key for one recipient collapse while the group is open.
    group_key = models.CharField(max_length=200, null=True, blank=True)
    group_open = models.BooleanField(default=False)
    # False when the recipient turned the in-app channel off for this kind but still gets email/push.
    in_app = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "group_key"],
                condition=models.Q(group_open=True),
                name="notifications_one_open_group",
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "actor", "target_content_type", "target_object_id"],
                condition=models.Q(kind__in=FOLLOWER_KIND_VALUES),
                name="notifications_follower_kind_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-updated_at", "-id"], name="notif_recipient_recent"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True, in_app=True), name="notif_unread"
            ),
            models.Index(fields=["target_content_type", "target_object_id"], name="notif_target"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationActor(models.Model):
    """One actor of an aggregated notification; unique so a repeated like is counted once."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="actor_links")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "actor"], name="notifications_actor_unique"),
        ]
        indexes = [models.Index(fields=["notification", "-created_at"])]

    def __str__(self):
        return f"{self.actor_id} in {self.notification_id}"


class Delivery(models.Model):
    """Outbox row for one notification on one external channel (email or push)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DIGEST = "digest", "Waiting for the daily digest"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=[(Channel.EMAIL, "Email"), (Channel.PUSH, "Push")])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notifications_delivery_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self):
        return f"{self.channel} for {self.notification_id}: {self.status}"


class NotificationSettings(models.Model):
    """Per-user switches that are not per kind."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email_mode = models.CharField(max_length=16, choices=EmailMode.choices, default=EmailMode.IMMEDIATE)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self):
        return f"notification settings of {self.user_id}"


class Preference(models.Model):
    """A user's override for one kind; kinds without a row use ``notifications.preferences.DEFAULTS``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    in_app = models.BooleanField()
    email = models.BooleanField()
    push = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notifications_preference_unique"),
        ]

    def __str__(self):
        return f"{self.user_id}/{self.kind}"


class PushDevice(models.Model):
    """A push endpoint: a browser's Web Push subscription, or an FCM / APNs device token."""

    class Platform(models.TextChoices):
        WEBPUSH = "webpush", "Web Push"
        FCM = "fcm", "Firebase Cloud Messaging"
        APNS = "apns", "Apple Push Notification service"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    # Web Push: the subscription endpoint URL; FCM/APNs: the device registration token.
    token = models.TextField()
    p256dh = models.CharField(max_length=200, blank=True)
    auth = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "token"], name="notifications_device_unique"),
        ]

    def __str__(self):
        return f"{self.platform} device of {self.user_id}"


class FollowerFanOut(models.Model):
    """Outbox row for "tell my followers" (new_post, new_video, live_started).

    Written in the author's transaction by ``notify_followers``; a Celery task claims it
    (PENDING → RUNNING), splits the followers into ``FanOutChunk`` rows and queues one task per
    chunk; the last chunk to finish marks it DONE. The periodic reconcile re-drives rows and chunks
    whose message a broker outage, a lost broker write or a dead worker left behind (chunks are
    idempotent).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    target_content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_object_id = models.CharField(max_length=64, blank=True, default="")
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    chunks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.kind} fan-out of {self.author_id}: {self.status}"


class FanOutChunk(models.Model):
    """One chunk of a follower fan-out: its recipients and whether they have been told.

    The chunk task takes only this row's id, so a chunk whose message never ran (lost with a
    killed Redis, or taken by a killed worker) is found here and queued again by the reconcile.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    fan_out = models.ForeignKey(FollowerFanOut, on_delete=models.CASCADE, related_name="chunk_rows")
    index = models.PositiveIntegerField()
    recipient_ids = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # When it was last queued or claimed: the reconcile re-queues chunks quiet for too long.
    queued_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fan_out", "index"], name="notifications_fan_out_chunk_once")]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self):
        return f"chunk {self.index} of fan-out {self.fan_out_id}: {self.status}"

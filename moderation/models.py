"""Reports: a user flags a post, video, comment, user, chat message or stream for moderators.

A report names its target by content type + id (the target may be deleted later; the report and
its outcome stay). At most one *open* report per reporter and target (a partial unique
constraint); the queue in the admin orders open reports by ``severity`` (derived from the reason
when the report is made) and by how many open reports the same target has.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


class TargetType(models.TextChoices):
    # The access layer's kind names (socialflow.core.access), which the API uses as target_type.
    POST = "post", "Post"
    VIDEO = "video", "Video"
    COMMENT = "comment", "Comment"
    USER = "user", "User"
    CHAT_MESSAGE = "chat_message", "Chat message"
    STREAM = "stream", "Stream"


class Reason(models.TextChoices):
    SPAM = "spam", "Spam"
    HARASSMENT = "harassment", "Harassment or bullying"
    HATE = "hate", "Hate speech"
    VIOLENCE = "violence", "Violence or threats"
    SEXUAL = "sexual", "Sexual content"
    SELF_HARM = "self_harm", "Self-harm or suicide"
    MISINFORMATION = "misinformation", "Misinformation"
    RIGHTS = "rights", "Copyright or other rights"
    OTHER = "other", "Something else"


# Higher is reviewed first: harm to people before nuisance.
SEVERITY: dict[str, int] = {
    Reason.SELF_HARM: 5,
    Reason.VIOLENCE: 5,
    Reason.SEXUAL: 4,
    Reason.HATE: 4,
    Reason.HARASSMENT: 3,
    Reason.MISINFORMATION: 2,
    Reason.RIGHTS: 2,
    Reason.SPAM: 1,
    Reason.OTHER: 1,
}

# Reasons the copyright domain handles (its app reads them through moderation.selectors).
COPYRIGHT_REASONS = (Reason.RIGHTS,)

DETAILS_MAX_LENGTH = 1000


class Report(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved: content removed"
        DISMISSED = "dismissed", "Dismissed: no violation"

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    target_content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.BigIntegerField()
    target = GenericForeignKey("target_content_type", "target_id")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    details = models.TextField(max_length=DETAILS_MAX_LENGTH, blank=True)
    severity = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("act_on_report", "Can dismiss reports and remove reported content")]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"],
                condition=Q(status="open"),
                name="moderation_report_one_open_per_reporter",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "resolved", "dismissed"]), name="moderation_report_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id", "status"], name="moderation_report_target"),
            models.Index(fields=["reporter", "-created_at", "-id"], name="moderation_report_mine"),
            models.Index(fields=["status", "-severity"], name="moderation_report_queue"),
        ]

    def __str__(self):
        return f"report {self.pk}: {self.reason} on {self.target_type} {self.target_id}"

    @property
    def for_copyright(self) -> bool:
        return self.reason in COPYRIGHT_REASONS

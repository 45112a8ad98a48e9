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
from django.utils import timezone


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
    escalated = models.BooleanField(default=False)  # for staff: the moderator asked for a second look
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [
            ("act_on_report", "Can dismiss reports and remove reported content"),
            ("escalate", "Can escalate to staff"),
        ]
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


class ReportMessage(models.Model):
    """The thread of one report between its reporter and the moderators (PeerTube's abuse
    messages). ``by_moderator`` says which side wrote it; the reporter never sees who."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_moderator = models.BooleanField(default=False)
    text = models.TextField(max_length=DETAILS_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["report", "created_at", "id"], name="moderation_reportmsg_thread")]

    def __str__(self):
        return f"message {self.pk} on report {self.report_id}"


class Decision(models.TextChoices):
    ALLOW = "allow", "Allowed"
    HOLD = "hold", "Held for review"
    REMOVE = "remove", "Removed and escalated"


class Signal(models.Model):
    """One classifier's verdict on one input of one target (a post's text, one of its images, a
    video's thumbnail or a sampled frame, an avatar, a chat message): the score, which model and
    version produced it, and the decision the thresholds gave. Unique per target, classifier and
    input (``input_key``: a digest of the text or the image's name), so a redelivered task or an
    edit that changes nothing stores nothing twice."""

    class Review(models.TextChoices):
        NONE = "none", "Nothing to review"
        PENDING = "pending", "Awaiting a moderator"
        CONFIRMED = "confirmed", "Confirmed by a moderator"
        OVERTURNED = "overturned", "Overturned by a moderator"

    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    target_content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.BigIntegerField()
    target = GenericForeignKey("target_content_type", "target_id")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    classifier = models.CharField(max_length=32)
    model = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    input_key = models.CharField(max_length=64)
    input_label = models.CharField(max_length=120, blank=True)  # "text", "image 1", "frame at 3.0 s"
    excerpt = models.CharField(max_length=500, blank=True)  # the text classified (spam training, preview)
    fingerprint = models.CharField(max_length=40, blank=True, db_index=True)  # normalised text digest
    score = models.FloatField()
    label = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, default=Decision.ALLOW)
    review = models.CharField(max_length=12, choices=Review.choices, default=Review.NONE)
    escalated = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    elapsed_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("act_on_signal", "Can confirm or overturn automatic moderation decisions")]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id", "classifier", "input_key"], name="moderation_signal_once"
            ),
        ]
        indexes = [
            models.Index(fields=["review", "-score"], name="moderation_signal_queue"),
            models.Index(fields=["target_type", "target_id"], name="moderation_signal_target"),
            models.Index(fields=["author", "classifier", "created_at"], name="moderation_signal_rate"),
            models.Index(fields=["fingerprint", "created_at"], name="moderation_signal_dupes"),
        ]

    def __str__(self):
        return f"{self.classifier} {self.score:.2f} on {self.target_type} {self.target_id}: {self.decision}"


class WatchedWord(models.Model):
    """A word or phrase staff watch for (matched on normalised text, whole words): ``hold`` puts
    the content in the queue, ``remove`` removes it and escalates, ``flag`` only records a signal."""

    class Action(models.TextChoices):
        FLAG = "flag", "Flag (signal only)"
        HOLD = "hold", "Hold for review"
        REMOVE = "remove", "Remove and escalate"

    phrase = models.CharField(max_length=100, unique=True)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.HOLD)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.phrase


class HashEntry(models.Model):
    """A known-bad image's PDQ hash (64 hex digits) on the staff list: uploads within the match
    distance are removed and escalated."""

    pdq = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "known-bad image hash"
        verbose_name_plural = "known-bad image hashes"

    def __str__(self):
        return f"{self.pdq[:16]}… {self.description}"


class SpamModel(models.Model):
    """A trained naive-Bayes spam model: the hashed-feature log probabilities as a numpy ``.npz``
    (no pickle), how many examples of each class trained it and from what."""

    version = models.PositiveIntegerField(unique=True)
    weights = models.BinaryField()
    spam_examples = models.PositiveIntegerField(default=0)
    ham_examples = models.PositiveIntegerField(default=0)
    decided_examples = models.PositiveIntegerField(default=0)  # of those, from moderators' decisions
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"spam model v{self.version}"


class AccountAction(models.Model):
    """Graded enforcement on an account (Mastodon's account warnings): a warning, a strike, a limit
    (no uploads or live until ``until``), a suspension (a ban until ``until``) or a ban. Strikes
    count towards the automatic limit; any action can be appealed once."""

    class Kind(models.TextChoices):
        WARN = "warn", "Warning"
        STRIKE = "strike", "Strike"
        LIMIT = "limit", "Limit: no uploads or live"
        SUSPEND = "suspend", "Suspension"
        BAN = "ban", "Permanent ban"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    reason = models.CharField(max_length=500)
    until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    automatic = models.BooleanField(default=False)  # the strike threshold's limit, not a person
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    signal = models.ForeignKey(Signal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("act_on_account", "Can warn, strike, limit, suspend and ban accounts")]
        indexes = [
            models.Index(fields=["user", "kind", "created_at"], name="moderation_action_user"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user_id}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.until is None or self.until > timezone.now())


class Appeal(models.Model):
    """A user's appeal of an action on their account or of a decision on their content; decided by
    a moderator other than the one who acted."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        GRANTED = "granted", "Granted: the decision was reversed"
        REJECTED = "rejected", "Rejected: the decision stands"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(AccountAction, null=True, blank=True, on_delete=models.CASCADE, related_name="appeals")
    target_type = models.CharField(max_length=16, choices=TargetType.choices, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    text = models.TextField(max_length=DETAILS_MAX_LENGTH)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("decide_appeal", "Can decide appeals")]
        constraints = [
            # One appeal per action and per content decision.
            models.UniqueConstraint(
                fields=["action"], condition=Q(action__isnull=False), name="moderation_appeal_once"
            ),
            models.UniqueConstraint(
                fields=["user", "target_type", "target_id"],
                condition=Q(action__isnull=True),
                name="moderation_appeal_content_once",
            ),
            models.CheckConstraint(
                condition=Q(action__isnull=False) | Q(target_id__isnull=False), name="moderation_appeal_has_subject"
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="moderation_appeal_mine")]

    def __str__(self):
        return f"appeal {self.pk} by {self.user_id}: {self.status}"

from datetime import UTC, datetime
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# A permanent ban is stored as a ban until the end of time, so "banned" is one indexed comparison.
PERMANENT_BAN_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)

username_validator = RegexValidator(
    r"^[A-Za-z0-9_]{1,30}\Z",
    "Usernames are 1–30 letters, digits or underscores.",
    code="invalid_username",
)


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError("Not a known IANA time zone (e.g. Europe/Paris).", code="invalid_time_zone")


class SocialFlowUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person on Social Flow. Usernames and emails are unique regardless of case."""

    class Role(models.TextChoices):
        USER = "user", "User"
        CREATOR = "creator", "Creator"
        MODERATOR = "moderator", "Moderator"
        ADMIN = "admin", "Admin"

    username = models.CharField(
        max_length=30,
        unique=True,
        validators=[username_validator],
        help_text="1–30 letters, digits or underscores.",
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField("email address")
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    links = models.JSONField(default=list, blank=True)
    is_private = models.BooleanField(
        default=False, help_text="Followers must be approved; posts are visible to followers only."
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    banned_until = models.DateTimeField(null=True, blank=True, db_index=True)
    ban_reason = models.CharField(max_length=500, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # IANA name: the creator's days in analytics (and dates shown to them) are in this zone.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Set once the grace period after deletion is over and the personal data has been erased.
    purged_at = models.DateTimeField(null=True, blank=True)

    # Denormalised counters, kept exact with F() updates by the owning services and repaired by
    # a periodic recount (accounts.services.user_counters_recount).
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    videos_count = models.PositiveIntegerField(default=0)

    objects = SocialFlowUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                condition=~models.Q(email=""),
            ),
        ]

    def __str__(self):
        return self.username

    @property
    def is_banned(self) -> bool:
        return self.banned_until is not None and self.banned_until > timezone.now()

    @property
    def is_permanently_banned(self) -> bool:
        return self.banned_until is not None and self.banned_until >= PERMANENT_BAN_UNTIL

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_moderator(self) -> bool:
        return self.is_staff or self.role in (self.Role.MODERATOR, self.Role.ADMIN)

    def ban_message(self) -> str:
        if self.banned_until and self.banned_until >= PERMANENT_BAN_UNTIL:
            until = "permanently"
        else:
            until = f"until {self.banned_until:%Y-%m-%d %H:%M} UTC" if self.banned_until else ""
        reason = f": {self.ban_reason}" if self.ban_reason else ""
        return f"This account is suspended {until}{reason}.".replace("  ", " ")

    @property
    def name(self) -> str:
        return self.display_name or self.username


# --- the social graph -------------------------------------------------------------------------------
# Follows, follow requests, blocks and mutes belong to accounts: every app (posts, videos, live,
# notifications) reads them, and accounts depends on none of those apps. The tables keep the names
# the posts app gave them (migrations accounts 0004 / posts 0004 moved only the model state).


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "posts_follow"  # created by the posts app; moved here without copying rows
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="posts_follow_unique"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="posts_follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"], name="posts_follo_followe_0433cb_idx")]

    def __str__(self):
        return f"{self.follower_id} follows {self.followee_id}"


class FollowRequest(models.Model):
    """A pending follow of a private account, accepted or rejected by its owner."""

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "posts_followrequest"  # created by the posts app; moved here without copying rows
        constraints = [
            models.UniqueConstraint(fields=["requester", "target"], name="posts_followrequest_unique"),
        ]
        indexes = [models.Index(fields=["target", "-created_at"], name="posts_follo_target__473ce6_idx")]

    def __str__(self):
        return f"{self.requester_id} asks to follow {self.target_id}"


class Block(models.Model):
    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "posts_block"  # created by the posts app; moved here without copying rows
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="posts_block_unique"),
        ]
        indexes = [models.Index(fields=["blocked"], name="posts_block_blocked_693279_idx")]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    muter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "posts_mute"  # created by the posts app; moved here without copying rows
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="posts_mute_unique"),
        ]

    def __str__(self):
        return f"{self.muter_id} mutes {self.muted_id}"

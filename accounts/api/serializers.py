"""Shapes only: input validation of types and lengths, output of users. No side effects."""

from django.conf import settings
from rest_framework import serializers

from accounts.models import User
from accounts.services.users import MAX_LINKS


class StrictCharField(serializers.CharField):
    """A string and nothing else: numbers, lists, objects and booleans are a 400, not coerced."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PasswordField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


# --- input -------------------------------------------------------------------------------------


class RegisterInput(serializers.Serializer):
    username = StrictCharField(max_length=30)
    email = serializers.EmailField(max_length=254)
    password = PasswordField()


class TokenInput(serializers.Serializer):
    username = StrictCharField(required=False, max_length=254, help_text="Username or email address.")
    email = StrictCharField(required=False, max_length=254)
    password = PasswordField()
    otp = StrictCharField(required=False, allow_blank=True, max_length=32, help_text="TOTP or recovery code.")

    def validate(self, attrs):
        if not attrs.get("username") and not attrs.get("email"):
            raise serializers.ValidationError({"username": ["Provide a username or an email address."]})
        return attrs


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


class EmailVerifyInput(serializers.Serializer):
    key = StrictCharField(max_length=512)


class PasswordResetInput(serializers.Serializer):
    # A real address or a 400: the "unknown account" note must never be queued for garbage.
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer):
    uid = StrictCharField(max_length=64)
    token = StrictCharField(max_length=256)
    new_password = PasswordField()


class PasswordChangeInput(serializers.Serializer):
    old_password = PasswordField()
    new_password = PasswordField()


class TotpCodeInput(serializers.Serializer):
    code = StrictCharField(max_length=32)


class TotpSetupOutput(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_uri = serializers.CharField()


class RecoveryCodesOutput(serializers.Serializer):
    detail = serializers.CharField()
    recovery_codes = serializers.ListField(child=serializers.CharField())


class DetailOutput(serializers.Serializer):
    detail = serializers.CharField()


class PasswordChangeOutput(TokenPairOutput):
    detail = serializers.CharField()


class ProfileUpdateInput(serializers.Serializer):
    display_name = StrictCharField(max_length=50, allow_blank=True, required=False)
    bio = StrictCharField(max_length=500, allow_blank=True, required=False)
    links = serializers.ListField(
        child=serializers.URLField(max_length=200), max_length=MAX_LINKS, required=False, allow_empty=True
    )
    is_private = serializers.BooleanField(required=False)
    time_zone = StrictCharField(
        max_length=64, required=False, help_text="IANA time zone of the account's analytics days (e.g. Europe/Paris)."
    )
    avatar = serializers.FileField(
        required=False,
        allow_null=True,
        allow_empty_file=False,
        help_text=f"JPEG, PNG, GIF or WebP, at most {settings.ACCOUNT_AVATAR_MAX_BYTES // (1024 * 1024)} MB "
        "(multipart). null removes the avatar.",
    )


# --- output ------------------------------------------------------------------------------------


def avatar_url(user, *, request=None) -> str | None:
    """The absolute URL of a user's avatar (every app embeds users with this)."""
    if not user.avatar:
        return None
    url = user.avatar.url
    if url.startswith("/"):
        return request.build_absolute_uri(url) if request else f"{settings.SITE_URL}{url}"
    return url


class PublicProfileSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    avatar_url = serializers.SerializerMethodField()
    joined_at = serializers.DateTimeField(source="date_joined", read_only=True)
    is_suspended = serializers.BooleanField(source="is_banned", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "avatar_url",
            "is_private",
            "bio",
            "links",
            "role",
            "joined_at",
            "followers_count",
            "following_count",
            "posts_count",
            "videos_count",
            "is_suspended",
        ]
        read_only_fields = fields

    def get_avatar_url(self, user) -> str | None:
        return avatar_url(user, request=self.context.get("request"))


class ProfileSerializer(PublicProfileSerializer):
    """``GET users/{username}``: the profile plus how the caller relates to it."""

    is_following = serializers.SerializerMethodField()
    is_followed_by = serializers.SerializerMethodField()
    follow_requested = serializers.SerializerMethodField()
    is_blocked = serializers.SerializerMethodField()
    blocks_you = serializers.SerializerMethodField()
    is_muted = serializers.SerializerMethodField()

    class Meta(PublicProfileSerializer.Meta):
        fields = [
            *PublicProfileSerializer.Meta.fields,
            "is_following",
            "is_followed_by",
            "follow_requested",
            "is_blocked",
            "blocks_you",
            "is_muted",
        ]
        read_only_fields = fields

    def _rel(self):
        return self.context["relationship"]

    def get_is_following(self, user) -> bool:
        return self._rel().is_following

    def get_is_followed_by(self, user) -> bool:
        return self._rel().is_followed_by

    def get_follow_requested(self, user) -> bool:
        return self._rel().follow_requested

    def get_is_blocked(self, user) -> bool:
        return self._rel().is_blocked

    def get_blocks_you(self, user) -> bool:
        return self._rel().is_blocking_you

    def get_is_muted(self, user) -> bool:
        return self._rel().is_muted


class MeSerializer(PublicProfileSerializer):
    """``GET|PATCH me``: the own account, including private settings."""

    email_verified = serializers.SerializerMethodField()
    two_factor_enabled = serializers.SerializerMethodField()

    class Meta(PublicProfileSerializer.Meta):
        fields = [
            *PublicProfileSerializer.Meta.fields,
            "email",
            "email_verified",
            "two_factor_enabled",
            "last_login",
            "time_zone",
        ]
        read_only_fields = fields

    def get_email_verified(self, user) -> bool:
        return self.context["account"].email_verified

    def get_two_factor_enabled(self, user) -> bool:
        return self.context["account"].two_factor_enabled


# --- embedded users and the social graph --------------------------------------------------------


def _iso(value):
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


# The one way a shape embeds a user (an author, an actor, a follower, a streamer). An embedding is
# a subclass that picks its fields (``shown``, in this order) and keeps its name: the name is the
# OpenAPI component clients are generated from (and a docstring here would become every
# component's description). Hot paths (feeds, notification lists and pushes) call
# ``Shape.embed(user)`` for the same dict without a serializer instance. ``user`` may be a ``User``
# or anything with its attributes (the feed's ``FeedUser``).
class EmbeddedUserSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    avatar_url = serializers.SerializerMethodField()
    is_private = serializers.BooleanField(read_only=True)

    shown: tuple[str, ...] = ("id", "username", "display_name", "avatar_url", "is_private")
    # Posts and the graph have always shown the username when no display name is set, the other
    # embeddings the display name as set (maybe ""); clients see the difference, so it stays.
    display_name_or_username = False

    def get_fields(self):
        fields = super().get_fields()
        return {name: fields[name] for name in self.shown}

    def get_avatar_url(self, user) -> str | None:
        return avatar_url(user, request=self.context.get("request"))

    def to_representation(self, user):
        return self.embed(user, request=self.context.get("request"))

    @classmethod
    def embed(cls, user, *, request=None) -> dict:
        """The embedded user as a dict; ``request`` makes a local avatar URL absolute on its host
        (otherwise on ``SITE_URL``)."""
        data = {}
        for name in cls.shown:
            if name == "id":
                data[name] = str(user.pk)
            elif name == "display_name":
                data[name] = (user.display_name or user.username) if cls.display_name_or_username else user.display_name
            elif name == "avatar_url":
                data[name] = avatar_url(user, request=request)
            else:
                data[name] = getattr(user, name)
        return data


# Authors of posts, followers, follow requesters, search results.
class UserBriefSerializer(EmbeddedUserSerializer):
    display_name_or_username = True


def user_brief(user) -> dict:
    return UserBriefSerializer.embed(user)


class RelationshipSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    requested = serializers.BooleanField()
    followed_by = serializers.BooleanField()
    blocking = serializers.BooleanField()
    blocked_by = serializers.BooleanField()
    muting = serializers.BooleanField()

    def to_representation(self, rel):
        return {
            "following": rel.is_following,
            "requested": rel.follow_requested,
            "followed_by": rel.is_followed_by,
            "blocking": rel.is_blocked,
            "blocked_by": rel.is_blocking_you,
            "muting": rel.is_muted,
        }


class FollowEntrySerializer(serializers.Serializer):
    """One row of a followers/following list: the user and since when."""

    user = UserBriefSerializer()
    since = serializers.DateTimeField()

    def to_representation(self, follow):
        user = follow.follower if self.context.get("side") == "follower" else follow.followee
        return {"user": user_brief(user), "since": _iso(follow.created_at)}


class FollowRequestSerializer(serializers.Serializer):
    id = serializers.CharField()
    requester = UserBriefSerializer()
    created_at = serializers.DateTimeField()

    def to_representation(self, request):
        return {
            "id": str(request.pk),
            "requester": user_brief(request.requester),
            "created_at": _iso(request.created_at),
        }

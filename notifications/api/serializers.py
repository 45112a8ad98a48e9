"""Shapes of the notifications API (no side effects)."""

import base64

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import EmbeddedUserSerializer
from notifications import text
from notifications.models import Channel, EmailMode, Kind, Notification, PushDevice


# Who did what a notification is about.
class ActorSerializer(EmbeddedUserSerializer):
    shown = ("id", "username", "display_name", "avatar_url")


def actor_payload(user) -> dict:
    return ActorSerializer.embed(user)  # without a request: lists and pushes show SITE_URL avatars


class TargetSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()
    actors = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "text",
            "url",
            "actor",
            "actors",
            "actors_count",
            "target",
            "data",
            "is_read",
            "read_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ActorSerializer(allow_null=True))
    def get_actor(self, obj):
        return actor_payload(obj.actor) if obj.actor else None

    @extend_schema_field(ActorSerializer(many=True))
    def get_actors(self, obj):
        links = getattr(obj, "recent_actor_links", None)
        users = [link.actor for link in links] if links else ([obj.actor] if obj.actor else [])
        # Plain dicts: a nested serializer per row would rebuild its fields for every notification.
        return [actor_payload(user) for user in users]

    @extend_schema_field(TargetSerializer(allow_null=True))
    def get_target(self, obj):
        if not obj.target_content_type_id:
            return None
        ct = obj.target_content_type
        return {"type": f"{ct.app_label}.{ct.model}", "id": obj.target_object_id}

    def get_text(self, obj) -> str:
        return text.sentence(obj)

    def get_url(self, obj) -> str:
        return text.link(obj)


MAX_ID = 2**63 - 1


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=500
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError({"ids": ["Give a non-empty list of ids, or all: true."]})
        return attrs


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class ChannelsSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)
    label = serializers.CharField(required=False)  # echoed back from a GET; ignored

    def to_internal_value(self, data):
        # {"like_post": {"sms": true}} must not answer 200 while changing nothing.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown channels: {', '.join(map(str, unknown))}; use {', '.join(Channel.values)}."
                )
        values = super().to_internal_value(data)
        values.pop("label", None)
        return values


class PreferencesSerializer(serializers.Serializer):
    """``{"email_mode": "immediate", "kinds": {"like_post": {"in_app": true, "email": false, "push": false}, ...}}``"""

    email_mode = serializers.ChoiceField(choices=EmailMode.choices, required=False)
    kinds = serializers.DictField(child=ChannelsSerializer(), required=False)
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)

    def validate_kinds(self, value):
        unknown = sorted(set(value) - set(Kind.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown kinds: {', '.join(unknown)}.")
        return value


def preferences_payload(*, email_mode: str, kinds: dict) -> dict:
    return {
        "email_mode": email_mode,
        "channels": list(Channel.values),
        "kinds": {
            kind: {"label": Kind(kind).label, "in_app": c.in_app, "email": c.email, "push": c.push}
            for kind, c in kinds.items()
        },
    }


class DeviceSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)

    class Meta:
        model = PushDevice
        fields = ["id", "platform", "token", "name", "created_at", "last_used_at"]
        read_only_fields = fields


def _b64url(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return None


class DeviceRegisterSerializer(serializers.Serializer):
    """Web Push: the browser's ``PushSubscription.toJSON()`` (``endpoint`` + ``keys``);
    FCM/APNs: ``platform`` and the device ``token``."""

    platform = serializers.ChoiceField(choices=PushDevice.Platform.choices, default=PushDevice.Platform.WEBPUSH)
    # Bounded so the unique (platform, token) index entry always fits (PostgreSQL b-tree rows).
    endpoint = serializers.URLField(required=False, max_length=2000)
    keys = serializers.DictField(child=serializers.CharField(max_length=200), required=False)
    token = serializers.CharField(required=False, max_length=2000)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")

    def validate(self, attrs):
        if attrs["platform"] == PushDevice.Platform.WEBPUSH:
            keys = attrs.get("keys") or {}
            if not attrs.get("endpoint"):
                raise serializers.ValidationError({"endpoint": ["A Web Push subscription needs its endpoint."]})
            if not attrs["endpoint"].startswith("https://"):
                raise serializers.ValidationError({"endpoint": ["The push endpoint must be an https URL."]})
            if not keys.get("p256dh") or not keys.get("auth") or len(keys["auth"]) > 100:
                raise serializers.ValidationError(
                    {"keys": ["A Web Push subscription needs keys.p256dh and keys.auth."]}
                )
            # Checked now, not at the first push: the browser's P-256 public key (65-byte uncompressed
            # point) and 16-byte auth secret, both base64url.
            if len(_b64url(keys["p256dh"]) or b"") != 65 or (_b64url(keys["p256dh"]) or b"")[:1] != b"\x04":
                raise serializers.ValidationError(
                    {"keys": ["keys.p256dh must be the subscription's base64url P-256 public key."]}
                )
            if len(_b64url(keys["auth"]) or b"") != 16:
                raise serializers.ValidationError(
                    {"keys": ["keys.auth must be the subscription's base64url 16-byte secret."]}
                )
            attrs["token"] = attrs["endpoint"]
        elif not attrs.get("token"):
            raise serializers.ValidationError({"token": ["This field is required for FCM and APNs devices."]})
        return attrs

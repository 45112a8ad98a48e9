"""Shapes only: input validation and output representation for live endpoints."""

from django.conf import settings
from rest_framework import serializers

from accounts import selectors as accounts_selectors
from accounts.api.serializers import EmbeddedUserSerializer
from live.models import ChatMessage, LiveChannel, Recording, Stream, StreamBan
from live.selectors import all_time_peak_viewers


def hls_url_for(stream: Stream) -> str | None:
    if stream.status != Stream.Status.LIVE:
        return None
    return f"{settings.LIVE_HLS_BASE_URL}/{stream.playback_id}/index.m3u8"


# Streamers and users banned from a chat.
class LiveUserSerializer(EmbeddedUserSerializer):
    shown = ("id", "username", "display_name")


# Who sent a chat message (the websocket's ``chat.message`` has the same two fields).
class ChatUserSerializer(EmbeddedUserSerializer):
    shown = ("username", "display_name")


class RecordingSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    video_id = serializers.SerializerMethodField()

    class Meta:
        model = Recording
        fields = ("id", "status", "video_id", "size_bytes", "created_at")

    def get_video_id(self, obj) -> str | None:
        return str(obj.video_id) if obj.video_id else None


class StreamSerializer(serializers.ModelSerializer):
    """Public view of a stream; ``stream_key`` is present only for its owner (see to_representation)."""

    id = serializers.CharField(read_only=True)
    owner = LiveUserSerializer(read_only=True)
    rtmp_url = serializers.SerializerMethodField()
    hls_url = serializers.SerializerMethodField()
    # Both are null until the stream has started.
    average_viewers = serializers.FloatField(read_only=True, allow_null=True)
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    recordings = RecordingSerializer(many=True, read_only=True)
    reconnecting = serializers.SerializerMethodField()

    class Meta:
        model = Stream
        fields = (
            "id",
            "owner",
            "title",
            "description",
            "category",
            "scheduled_for",
            "status",
            "reconnecting",
            "rtmp_url",
            "hls_url",
            "started_at",
            "ended_at",
            "duration_ms",
            "chat_enabled",
            "members_only",
            "chat_established_only",
            "slow_mode_s",
            "current_viewers",
            "peak_viewers",
            "average_viewers",
            "chat_messages_count",
            "watch_time_ms",
            "recordings",
            "created_at",
        )
        read_only_fields = fields

    def get_rtmp_url(self, obj) -> str:
        return settings.LIVE_RTMP_URL

    def get_hls_url(self, obj) -> str | None:
        return hls_url_for(obj)

    def get_reconnecting(self, obj) -> bool:
        """Live, but the publisher dropped: waiting up to LIVE_RECONNECT_GRACE_S for it to come back."""
        return obj.status == Stream.Status.LIVE and obj.disconnected_at is not None


class StreamListSerializer(StreamSerializer):
    class Meta(StreamSerializer.Meta):
        fields = tuple(f for f in StreamSerializer.Meta.fields if f != "recordings")
        read_only_fields = fields


class OwnerStreamSerializer(StreamSerializer):
    """The owner's view: adds the stream key, moderators and the channel's all-time peak."""

    stream_key = serializers.CharField(read_only=True)
    moderators = serializers.SerializerMethodField()
    all_time_peak_viewers = serializers.SerializerMethodField()

    class Meta(StreamSerializer.Meta):
        fields = (*StreamSerializer.Meta.fields, "stream_key", "moderators", "all_time_peak_viewers")
        read_only_fields = fields

    def get_moderators(self, obj) -> list[str]:
        return [user.username for user in obj.moderators.all()]

    def get_all_time_peak_viewers(self, obj) -> int:
        return all_time_peak_viewers(owner_id=obj.owner_id)


class ChannelSerializer(serializers.ModelSerializer):
    """The owner's channel: the persistent stream key OBS is configured with once."""

    rtmp_url = serializers.SerializerMethodField()

    class Meta:
        model = LiveChannel
        fields = ("stream_key", "rtmp_url", "key_rotated_at")
        read_only_fields = fields

    def get_rtmp_url(self, obj) -> str:
        return settings.LIVE_RTMP_URL


class StreamCreateSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True, default=None)
    chat_enabled = serializers.BooleanField(required=False, default=True)
    members_only = serializers.BooleanField(required=False, default=False)
    chat_established_only = serializers.BooleanField(required=False, default=False)
    slow_mode_s = serializers.IntegerField(min_value=0, max_value=86400, required=False, default=0)


class StreamUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    category = serializers.CharField(max_length=50, required=False, allow_blank=True)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)
    chat_enabled = serializers.BooleanField(required=False)
    members_only = serializers.BooleanField(required=False)
    chat_established_only = serializers.BooleanField(required=False)
    slow_mode_s = serializers.IntegerField(min_value=0, max_value=86400, required=False)
    moderators = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=100, help_text="Usernames."
    )

    def validate_moderators(self, usernames):
        # Usernames are case-insensitively unique: "BOB" names the user "bob".
        wanted = {name.lstrip("@").lower() for name in usernames}
        users = list(accounts_selectors.users_get_by_usernames(usernames=usernames))
        found = {user.username.lower() for user in users}
        missing = sorted(wanted - found)
        if missing:
            raise serializers.ValidationError(f"Unknown users: {', '.join(missing)}.")
        return users


class ChatMessageSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    user = serializers.SerializerMethodField()
    sent_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ChatMessage
        fields = ("id", "user", "text", "sent_at")

    def get_user(self, obj) -> dict:
        return ChatUserSerializer.embed(obj.user)


class BanCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=30)
    duration_s = serializers.IntegerField(min_value=1, max_value=60 * 60 * 24 * 365, required=False, allow_null=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BanSerializer(serializers.ModelSerializer):
    user = LiveUserSerializer(read_only=True)
    banned_by = serializers.CharField(source="banned_by.username", read_only=True, default=None)

    class Meta:
        model = StreamBan
        fields = ("user", "banned_by", "reason", "expires_at", "created_at")


class IngestSerializer(serializers.Serializer):
    """nginx-rtmp's form fields (it sends more: app, addr, clientid, flashver, swfurl, tcurl, …)."""

    name = serializers.CharField(max_length=200)
    path = serializers.CharField(max_length=1000, required=False)

"""Shapes of the copyright API. Times in a video or a reference are seconds (floats, ms precision)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import EmbeddedUserSerializer
from copyright.models import Claim, Policy, Reference


class ClaimPartySerializer(EmbeddedUserSerializer):
    shown = ("id", "username", "display_name", "avatar_url")


def _seconds(ms) -> float | None:
    return None if ms is None else round(ms / 1000, 3)


class ReferenceSerializer(serializers.ModelSerializer):
    territories = serializers.ListField(
        child=serializers.CharField(min_length=2, max_length=2),
        source="territory_list",
        read_only=True,
        help_text="ISO 3166-1 alpha-2 codes the policy applies in; empty: worldwide.",
    )
    duration = serializers.SerializerMethodField(help_text="Seconds, once fingerprinted.")

    class Meta:
        model = Reference
        fields = ("id", "title", "policy", "territories", "status", "error", "duration", "active", "created_at")
        read_only_fields = fields

    def get_duration(self, obj) -> float | None:
        return _seconds(obj.duration_ms)


class ReferenceCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    policy = serializers.ChoiceField(choices=Policy.choices)
    territories = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z]{2}$", max_length=2),
        required=False,
        max_length=250,
        help_text="ISO 3166-1 alpha-2 codes; omit or leave empty for worldwide.",
    )
    media = serializers.FileField(help_text="The work: an audio or video file.")


class TimestampsSerializer(serializers.Serializer):
    start = serializers.FloatField(min_value=0, max_value=10**7, help_text="Seconds into the video.")
    end = serializers.FloatField(min_value=0, max_value=10**7, help_text="Seconds into the video.")

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["Must not be before start."]})
        return attrs


class ClaimCreateSerializer(serializers.Serializer):
    video = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reference = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, help_text="Omit for a takedown notice."
    )
    timestamps = TimestampsSerializer(required=False, help_text="The infringing segment; the whole video if omitted.")
    notice = serializers.CharField(max_length=5000, help_text="What is infringed, and the rights holder's statement.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class SegmentSerializer(serializers.Serializer):
    video_start = serializers.FloatField()
    video_end = serializers.FloatField()
    reference_start = serializers.FloatField(allow_null=True)
    duration = serializers.FloatField(help_text="Seconds matched.")


class TrackedStatsSerializer(serializers.Serializer):
    views = serializers.IntegerField()
    likes = serializers.IntegerField()
    comments = serializers.IntegerField()
    duration_ms = serializers.IntegerField(allow_null=True)


class ClaimReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ClaimSerializer(serializers.ModelSerializer):
    reference = serializers.SerializerMethodField()
    claimant = ClaimPartySerializer(read_only=True)
    uploader = ClaimPartySerializer(read_only=True)
    territories = serializers.ListField(child=serializers.CharField(), source="territory_list", read_only=True)
    segment = serializers.SerializerMethodField()
    video_title = serializers.CharField(source="video.title", read_only=True)
    analytics = serializers.SerializerMethodField(help_text="The video's figures, for a tracking claimant.")

    class Meta:
        model = Claim
        fields = (
            "id", "video", "video_title", "reference", "claimant", "uploader", "source", "policy", "territories",
            "status", "segment", "confidence", "is_reupload", "notice", "dispute_reason", "appeal_reason",
            "decision_note", "respond_by", "appeal_decided", "analytics", "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ClaimReferenceSerializer(allow_null=True))
    def get_reference(self, obj):
        if obj.reference is None:
            return None
        return {"id": obj.reference_id, "title": obj.reference.title}

    @extend_schema_field(SegmentSerializer)
    def get_segment(self, obj):
        return {
            "video_start": _seconds(obj.video_start_ms),
            "video_end": _seconds(obj.video_end_ms),
            "reference_start": _seconds(obj.reference_start_ms) if obj.reference_id else None,
            "duration": _seconds(obj.duration_ms),
        }

    @extend_schema_field(TrackedStatsSerializer(allow_null=True))
    def get_analytics(self, obj):
        stats = self.context.get("stats", {})
        return stats.get(obj.pk)

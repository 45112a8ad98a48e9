"""Shapes of reports in the API."""

from rest_framework import serializers

from moderation.models import DETAILS_MAX_LENGTH, Reason, Report, TargetType


class ReportCreateSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    # An opaque id string (an integer is accepted too); one that names nothing is a 404.
    target_id = serializers.CharField(max_length=64)
    reason = serializers.ChoiceField(choices=Reason.choices)
    details = serializers.CharField(max_length=DETAILS_MAX_LENGTH, required=False, allow_blank=True, default="")


class ReportSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    target_type = serializers.ChoiceField(choices=TargetType.choices, read_only=True)
    target_id = serializers.CharField(read_only=True)
    reason = serializers.ChoiceField(choices=Reason.choices, read_only=True)
    details = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Report.Status.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)

"""Shapes of reports in the API."""

from rest_framework import serializers

from moderation.models import DETAILS_MAX_LENGTH, AccountAction, Appeal, Reason, Report, TargetType


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


class ReportMessageCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=DETAILS_MAX_LENGTH)


class ReportMessageSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    # The reporter sees which side wrote, never which moderator.
    from_moderator = serializers.BooleanField(source="by_moderator", read_only=True)
    text = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class AccountActionSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=AccountAction.Kind.choices, read_only=True)
    reason = serializers.CharField(read_only=True)
    until = serializers.DateTimeField(read_only=True, allow_null=True)
    automatic = serializers.BooleanField(read_only=True)
    active = serializers.BooleanField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class AppealCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=DETAILS_MAX_LENGTH)
    action_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    target_type = serializers.ChoiceField(choices=TargetType.choices, required=False, allow_blank=True, default="")
    target_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class AppealSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    action_id = serializers.CharField(read_only=True, allow_null=True)
    target_type = serializers.CharField(read_only=True)
    target_id = serializers.CharField(read_only=True, allow_null=True)
    text = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Appeal.Status.choices, read_only=True)
    decision_note = serializers.CharField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

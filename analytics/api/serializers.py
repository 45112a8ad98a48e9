"""Shapes of the analytics reports (documented for the OpenAPI schema; the selectors build dicts)."""

from rest_framework import serializers

from analytics.models import SOURCES


class RetentionPointSerializer(serializers.Serializer):
    percent = serializers.IntegerField(help_text="Start of the 5 % segment of the video (0, 5, … 95).")
    viewers = serializers.FloatField(help_text="Share of playback sessions that watched this segment (0–1).")


class TrafficSourcesSerializer(serializers.Serializer):
    pass


for _source in SOURCES:
    TrafficSourcesSerializer._declared_fields[_source] = serializers.IntegerField(help_text=f"Views from {_source}.")


class DailyCountsSerializer(serializers.Serializer):
    views = serializers.IntegerField(help_text="Counted views.")
    sessions = serializers.IntegerField(help_text="Playback sessions started.")
    watch_time_ms = serializers.IntegerField()
    completed_sessions = serializers.IntegerField(help_text="Sessions that watched the last 5 %.")
    unique_viewers = serializers.IntegerField(help_text="Distinct viewers of counted views (per day; summed).")
    likes = serializers.IntegerField()
    comments = serializers.IntegerField()
    shares = serializers.IntegerField()


class VideoDaySerializer(DailyCountsSerializer):
    day = serializers.DateField()


class ChannelCountsSerializer(DailyCountsSerializer):
    followers_gained = serializers.IntegerField()
    followers_lost = serializers.IntegerField()


class ChannelDaySerializer(ChannelCountsSerializer):
    day = serializers.DateField()


class RevenueAmountSerializer(serializers.Serializer):
    source = serializers.CharField()
    currency = serializers.CharField()
    amount_minor = serializers.IntegerField()
    amount = serializers.CharField(help_text="Formatted (the Money display rule).")


class RevenueDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    by_source = RevenueAmountSerializer(many=True)


class RevenueSerializer(serializers.Serializer):
    by_source = RevenueAmountSerializer(many=True)
    days = RevenueDaySerializer(many=True)


class AnalyticsVideoRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class AnalyticsChannelRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()


class TopVideoSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    views = serializers.IntegerField()
    watch_time_ms = serializers.IntegerField()


class _ReportSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    time_zone = serializers.CharField(help_text="The creator's time zone: days are theirs.")
    average_view_duration_ms = serializers.IntegerField(help_text="Watch time per playback session.")
    completion_rate = serializers.FloatField(help_text="Sessions that reached the last 5 %, per session.")
    engagement_rate = serializers.FloatField(help_text="(likes + comments + shares) per counted view.")
    retention = RetentionPointSerializer(many=True)
    traffic_sources = TrafficSourcesSerializer()


# "from" and "to" are Python keywords: declared under other names, published as these.
_ReportSerializer._declared_fields = {
    {"date_from": "from", "date_to": "to"}.get(name, name): field
    for name, field in _ReportSerializer._declared_fields.items()
}


class VideoAnalyticsSerializer(_ReportSerializer):
    video = AnalyticsVideoRefSerializer()
    totals = DailyCountsSerializer()
    days = VideoDaySerializer(many=True)
    revenue = RevenueSerializer(
        allow_null=True, help_text="Always null: the ledger credits the channel, not one video (see the channel)."
    )


class ChannelAnalyticsSerializer(_ReportSerializer):
    channel = AnalyticsChannelRefSerializer()
    totals = ChannelCountsSerializer()
    days = ChannelDaySerializer(many=True)
    followers_net = serializers.IntegerField()
    top_videos = TopVideoSerializer(many=True)
    revenue = RevenueSerializer(help_text="Earnings credited from the ledger, by source and currency.")


class RealtimeHourSerializer(serializers.Serializer):
    hour = serializers.DateTimeField()
    views = serializers.IntegerField()
    sessions = serializers.IntegerField()


class RealtimeSerializer(serializers.Serializer):
    hours = RealtimeHourSerializer(many=True)
    views = serializers.IntegerField()
    sessions = serializers.IntegerField()


class ShareInputSerializer(serializers.Serializer):
    video = serializers.CharField(max_length=20, help_text="The shared video's id.")
    channel = serializers.ChoiceField(
        choices=["copy_link", "embed", "email", "social", "other"], default="copy_link", help_text="How it was shared."
    )

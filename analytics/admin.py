"""Read-only views of the analytics tables for staff (the figures are written by the flush and the
training tasks only)."""

from django.contrib import admin

from analytics.models import ChannelDay, RecommendationRun, VideoDay


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChannelDay)
class ChannelDayAdmin(ReadOnly):
    list_display = ("channel_id", "day", "views", "sessions", "watch_time_ms", "likes", "comments", "followers_gained")
    list_filter = ("day",)
    search_fields = ("channel_id",)


@admin.register(VideoDay)
class VideoDayAdmin(ReadOnly):
    list_display = ("video_id", "channel_id", "day", "views", "sessions", "watch_time_ms", "completed_sessions")
    list_filter = ("day",)
    search_fields = ("video_id", "channel_id")


@admin.register(RecommendationRun)
class RecommendationRunAdmin(ReadOnly):
    list_display = ("kind", "trained_at", "users", "items", "interactions", "neighbours", "seconds")
    list_filter = ("kind",)

"""The live moderation console: streams, chat messages, bans, recordings. Actions call services and
are written to the admin log (LogEntry); removing and restoring chat messages goes through
``moderation_apply`` and so lands in the audit trail."""

from django.contrib import admin, messages

from live import services
from live.models import ChatMessage, Recording, Stream, StreamBan
from socialflow.core.admin_actions import confirmed_reason, reason_page


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "owner", "status", "category", "current_viewers", "peak_viewers", "started_at")
    list_filter = ("status", "chat_enabled", "members_only")
    search_fields = ("title", "owner__username", "category")
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "moderators")
    readonly_fields = ("stream_key", "playback_id", "started_at", "ended_at", "chat_messages_count", "watch_time_ms")
    date_hierarchy = "created_at"
    actions = ("end_streams", "disable_chat")

    @admin.action(description="End selected streams")
    def end_streams(self, request, queryset):
        ended = 0
        for stream in queryset:
            if services.stream_end(stream=stream, by=request.user):
                ended += 1
                self.log_change(request, stream, "Ended the stream from the admin.")
        self.message_user(request, f"Ended {ended} stream(s).", messages.SUCCESS)

    @admin.action(description="Turn chat off for selected streams")
    def disable_chat(self, request, queryset):
        for stream in queryset:
            services.stream_update(stream=stream, chat_enabled=False, by=request.user)
            self.log_change(request, stream, "Turned chat off from the admin.")
        self.message_user(request, f"Chat turned off for {queryset.count()} stream(s).", messages.SUCCESS)


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "stream", "user", "text", "created_at", "moderation_status", "deleted_at")
    list_filter = ("moderation_status", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("text", "user__username", "stream__title")
    list_select_related = ("user", "stream")
    raw_id_fields = ("stream", "user")
    readonly_fields = (
        "created_at",
        "deleted_at",
        "moderation_status",
        "moderation_reason",
        "moderated_by",
        "moderated_at",
    )
    actions = ("delete_messages", "restore_messages", "ban_authors", "timeout_authors")

    def has_delete_permission(self, request, obj=None):
        return False  # messages are soft-deleted (and the room told) by the actions below

    @admin.action(description="Delete selected messages (removed from every viewer's chat)…")
    def delete_messages(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Delete chat messages")
        for message in queryset:
            services.chat_message_delete(message=message, by=request.user, reason=reason)
            self.log_change(request, message, "Deleted the chat message.")
        self.message_user(request, f"Deleted {queryset.count()} message(s).", messages.SUCCESS)

    @admin.action(description="Restore selected messages removed by a moderator")
    def restore_messages(self, request, queryset):
        count = sum(services.chat_message_restore(message=message, by=request.user) for message in queryset)
        self.message_user(request, f"Restored {count} message(s).", messages.SUCCESS)

    def _ban(self, request, queryset, duration_s):
        done = set()
        for message in queryset.select_related("stream", "user"):
            if (message.stream_id, message.user_id) in done:
                continue
            done.add((message.stream_id, message.user_id))
            ban = services.chat_ban_create(
                stream=message.stream, user=message.user, by=request.user, duration_s=duration_s
            )
            what = f"Timed out for {duration_s} s" if duration_s else "Banned"
            self.log_change(request, message.stream, f"{what} @{message.user.username} from the chat (ban {ban.pk}).")
        self.message_user(request, f"{len(done)} user(s) {'timed out' if duration_s else 'banned'}.", messages.SUCCESS)

    @admin.action(description="Ban the authors from these streams' chat")
    def ban_authors(self, request, queryset):
        self._ban(request, queryset, None)

    @admin.action(description="Time the authors out for 10 minutes")
    def timeout_authors(self, request, queryset):
        self._ban(request, queryset, 600)


@admin.register(StreamBan)
class StreamBanAdmin(admin.ModelAdmin):
    list_display = ("stream", "user", "banned_by", "expires_at", "created_at")
    search_fields = ("user__username", "stream__title")
    list_select_related = ("stream", "user", "banned_by")
    raw_id_fields = ("stream", "user", "banned_by")
    actions = ("lift_bans",)

    @admin.action(description="Lift selected bans")
    def lift_bans(self, request, queryset):
        for ban in queryset.select_related("stream", "user"):
            services.chat_ban_delete(stream=ban.stream, user=ban.user, by=request.user)
            self.log_change(request, ban.stream, f"Lifted the chat ban of @{ban.user.username}.")
        self.message_user(request, "Bans lifted.", messages.SUCCESS)


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ("id", "stream", "status", "video", "size_bytes", "created_at")
    list_filter = ("status",)
    search_fields = ("stream__title", "path")
    list_select_related = ("stream",)
    readonly_fields = ("stream", "path", "size_bytes", "status", "error", "video", "created_at")

"""Video moderation console: filter by status/visibility/moderation, search, hide/restore/re-transcode.
Moderation actions go through the services (``socialflow.core.moderation.moderation_apply``), so
each lands in the audit trail with the moderator."""

from django.contrib import admin, messages
from django.utils.html import format_html

from socialflow.core.admin_actions import confirmed_reason, reason_page
from videos import access, services
from videos.models import Comment, Playlist, Upload, Video


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "author",
        "status",
        "progress",
        "visibility",
        "moderation_status",
        "views_count",
        "created_at",
    ]
    list_filter = ["status", "visibility", "moderation_status", "source", "created_at"]
    search_fields = ["id", "title", "description", "author__username"]
    list_select_related = ["author"]
    raw_id_fields = ["author"]
    date_hierarchy = "created_at"
    actions = ["hide_videos", "restore_videos", "retranscode_videos"]
    # The change form edits what the owner could edit, through video_update; everything else
    # (author, state, counters, published files) moves only through services and actions.
    editable = ("title", "description", "visibility", "published_at")
    exclude = ["tags", "claim_token", "master_playlist", "thumbnail", "preview_sprite", "preview_vtt"]

    def get_readonly_fields(self, request, obj=None):
        fixed = [f.name for f in Video._meta.fields if f.name not in self.editable and f.name not in self.exclude]
        return [*fixed, "poster"]

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.editable}
        if changes:
            services.video_update(video=obj, **changes)

    def has_add_permission(self, request):
        return False  # videos come from uploads

    @admin.display(description="poster")
    def poster(self, obj):
        if not obj.thumbnail:
            return "—"
        return format_html('<img src="{}" style="max-width:320px">', access.media_url(obj, obj.thumbnail))

    @admin.action(description="Hide selected videos (moderation)…")
    def hide_videos(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Hide videos")
        for video in queryset:
            services.video_hide(video=video, by=request.user, reason=reason)
        self.message_user(request, f"Hid {queryset.count()} video(s).", messages.SUCCESS)

    @admin.action(description="Restore selected videos")
    def restore_videos(self, request, queryset):
        for video in queryset:
            services.video_restore(video=video, by=request.user)
        self.message_user(request, f"Restored {queryset.count()} video(s).", messages.SUCCESS)

    @admin.action(description="Re-transcode selected videos")
    def retranscode_videos(self, request, queryset):
        for video in queryset:
            services.video_retranscode(video=video)
        self.message_user(request, f"Queued {queryset.count()} video(s) for transcoding.", messages.SUCCESS)

    def delete_model(self, request, obj):
        services.video_delete(video=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for video in queryset:
            services.video_delete(video=video, by=request.user)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "video",
        "author",
        "short_text",
        "moderation_status",
        "pinned_at",
        "likes_count",
        "created_at",
    ]
    list_filter = ["moderation_status", "created_at"]
    search_fields = ["text", "author__username"]
    raw_id_fields = ["video", "author", "parent"]
    list_select_related = ["video", "author"]
    actions = ["hold_comments", "approve_comments"]

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:80]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Comment._meta.fields]  # moderators hold, approve or delete; never rewrite

    def has_add_permission(self, request):
        return False

    @admin.action(description="Hold selected comments…")
    def hold_comments(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Hold comments")
        for comment in queryset:
            services.comment_hold(comment=comment, by=request.user, reason=reason)
        self.message_user(request, f"Held {queryset.count()} comment(s).", messages.SUCCESS)

    @admin.action(description="Approve selected comments")
    def approve_comments(self, request, queryset):
        for comment in queryset:
            services.comment_approve(comment=comment, by=request.user)
        self.message_user(request, f"Approved {queryset.count()} comment(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        services.comment_delete(comment=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for comment in queryset:
            # A reply goes with its thread: it may be gone already.
            if Comment.objects.filter(pk=comment.pk).exists():
                services.comment_delete(comment=comment, by=request.user)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "filename", "offset", "length", "completed_at", "expires_at"]
    list_filter = ["completed_at"]
    raw_id_fields = ["user", "video"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Upload._meta.fields]  # offsets and bytes move only through the tus services

    def has_add_permission(self, request):
        return False


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "owner", "visibility", "items_count", "created_at"]
    search_fields = ["title", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["owner", "items_count", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False  # playlists are created by their owners through the API

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.playlist_update(playlist=obj, **changes)

    def delete_model(self, request, obj):
        services.playlist_delete(playlist=obj)

    def delete_queryset(self, request, queryset):
        for playlist in queryset:
            services.playlist_delete(playlist=playlist)

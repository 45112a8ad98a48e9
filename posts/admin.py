"""Moderation console for posts: search, filters, and hide/restore/delete through the services
(hide/restore are ``moderation_apply``: audited, with the moderator)."""

from django.contrib import admin, messages

from posts import services
from posts.models import Hashtag, Post
from socialflow.core import access
from socialflow.core.admin_actions import confirmed_reason, reason_page


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through the services (counters, timelines); the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HiddenFilter(admin.SimpleListFilter):
    title = "moderation state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("visible", "Visible"), ("hidden", "Held or removed"), ("deleted", "Deleted by author")]

    def queryset(self, request, queryset):
        if self.value() == "visible":
            return queryset.filter(access.moderation_shown_q(), deleted_at__isnull=True)
        if self.value() == "hidden":
            return queryset.filter(access.moderation_hidden_q())
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("post", "Original"), ("reply", "Reply"), ("repost", "Repost"), ("quote", "Quote")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "post":
            return queryset.filter(reply_to__isnull=True, repost_of__isnull=True, quote_of__isnull=True)
        if value in ("reply", "repost", "quote"):
            field = {"reply": "reply_to", "repost": "repost_of", "quote": "quote_of"}[value]
            return queryset.filter(**{f"{field}__isnull": False})
        return queryset


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "short_text", "visibility", "likes_count", "reposts_count", "created_at", "state")
    list_filter = (HiddenFilter, KindFilter, "visibility", "created_at")
    search_fields = ("=id", "text", "author__username")
    list_select_related = ("author",)
    date_hierarchy = "created_at"
    actions = ("hide_posts", "restore_posts", "delete_posts")
    readonly_fields = [f.name for f in Post._meta.fields]
    show_full_result_count = False

    @admin.display(description="text")
    def short_text(self, obj):
        return (obj.text[:80] + "…") if len(obj.text) > 80 else obj.text or "(repost)"

    @admin.display(description="state")
    def state(self, obj):
        if obj.deleted_at:
            return "deleted"
        return obj.moderation_status

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deletion goes through the "delete" action (the service), never a raw delete

    @admin.action(description="Hide selected posts (moderation)…")
    def hide_posts(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Hide posts")
        count = sum(services.post_hide(post=post, by=request.user, reason=reason) for post in queryset)
        self.message_user(request, f"{count} post(s) hidden.", messages.SUCCESS)

    @admin.action(description="Restore selected hidden posts")
    def restore_posts(self, request, queryset):
        count = sum(services.post_restore(post=post, by=request.user) for post in queryset)
        self.message_user(request, f"{count} post(s) restored.", messages.SUCCESS)

    @admin.action(description="Delete selected posts")
    def delete_posts(self, request, queryset):
        for post in queryset:
            services.post_delete(post=post, by=request.user)
        self.message_user(request, "Deleted.", messages.SUCCESS)


@admin.register(Hashtag)
class HashtagAdmin(ReadOnlyAdmin):
    list_display = ("name", "posts_count", "created_at")
    search_fields = ("name",)
    readonly_fields = ("name", "posts_count", "created_at")

"""The User admin: the moderators' console for accounts (search, filters, ban/unban, audit log).

Moderators (role moderator/admin with staff access) may view users and ban/unban them; only
superusers edit fields directly. Every action goes through ``accounts.services`` and leaves a
LogEntry (the admin's audit log, shown in each user's history).
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts import services
from accounts.models import PERMANENT_BAN_UNTIL, Block, Follow, User
from socialflow.core.exceptions import InvalidInput
from socialflow.hydration import hydration_invalidate

BAN_DURATIONS = [
    ("1", "1 day"),
    ("7", "7 days"),
    ("30", "30 days"),
    ("365", "1 year"),
    ("permanent", "Permanently"),
]


class BanForm(forms.Form):
    duration = forms.ChoiceField(choices=BAN_DURATIONS, initial="7")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def until(self):
        value = self.cleaned_data["duration"]
        return None if value == "permanent" else timezone.now() + timedelta(days=int(value))


class BannedFilter(admin.SimpleListFilter):
    title = "ban"
    parameter_name = "banned"

    def lookups(self, request, model_admin):
        return [("yes", "Suspended now"), ("permanent", "Permanently"), ("no", "Not suspended")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(banned_until__gt=now)
        if self.value() == "permanent":
            return queryset.filter(banned_until__gte=PERMANENT_BAN_UNTIL)
        if self.value() == "no":
            return queryset.exclude(banned_until__gt=now)
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    title = "deletion"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Deleted (grace period)"), ("purged", "Purged"), ("no", "Not deleted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False, purged_at__isnull=True)
        if self.value() == "purged":
            return queryset.filter(purged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "display_name",
        "email",
        "role",
        "is_private",
        "followers_count",
        "ban_state",
        "deleted_at",
        "date_joined",
        "last_seen_at",
    ]
    list_filter = ["role", BannedFilter, DeletedFilter, "is_private", "is_staff", "date_joined"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-date_joined"]
    date_hierarchy = "date_joined"
    list_per_page = 100
    show_full_result_count = False  # a COUNT(*) over millions of users on every page is wasteful
    actions = ["ban_users", "unban_users", "delete_users", "restore_users"]
    readonly_fields = [
        "last_login",
        "date_joined",
        "last_seen_at",
        "banned_until",
        "ban_reason",
        "deleted_at",
        "purged_at",
        "followers_count",
        "following_count",
        "posts_count",
        "videos_count",
    ]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Profile", {"fields": ["display_name", "email", "bio", "avatar", "links", "is_private"]}),
        ("Role and permissions", {"fields": ["role", "is_active", "is_staff", "is_superuser", "groups"]}),
        ("Moderation", {"fields": ["banned_until", "ban_reason", "deleted_at", "purged_at"]}),
        ("Activity", {"fields": ["date_joined", "last_login", "last_seen_at"]}),
        ("Counters", {"fields": ["followers_count", "following_count", "posts_count", "videos_count"]}),
    ]

    @admin.display(description="ban")
    def ban_state(self, user):
        if not user.is_banned:
            return "—"
        return "permanent" if user.is_permanently_banned else f"until {user.banned_until:%Y-%m-%d}"

    # --- who may do what --------------------------------------------------------------------------
    def _is_moderator(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.is_moderator

    def has_module_permission(self, request):
        return self._is_moderator(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_moderator(request) or super().has_view_permission(request, obj)

    def has_ban_permission(self, request):
        return self._is_moderator(request)

    def has_delete_permission(self, request, obj=None):
        # A hard delete would skip user_delete/user_purge (token revocation, follower counters, the
        # grace period). Accounts are deleted with the "Delete selected accounts" action instead.
        return False

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        return [f.name for f in User._meta.fields] + ["groups"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # a superuser's edit of fields other apps embed (a video's author)
            hydration_invalidate(kind="user", ids=[obj.pk])

    # --- actions ----------------------------------------------------------------------------------
    def _targets(self, request, queryset):
        """Never act on oneself or (unless superuser) on staff."""
        queryset = queryset.exclude(pk=request.user.pk)
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_staff=True).exclude(is_superuser=True)
        return queryset

    @admin.action(description="Suspend selected users…", permissions=["ban"])
    def ban_users(self, request, queryset):
        form = BanForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            until = form.until()
            reason = form.cleaned_data["reason"]
            count = 0
            for user in self._targets(request, queryset).iterator(chunk_size=500):
                try:
                    services.user_ban(user=user, by=request.user, until=until, reason=reason)
                except InvalidInput as exc:
                    self.message_user(request, f"{user}: {exc.message}", messages.ERROR)
                    continue
                duration = dict(BAN_DURATIONS)[form.cleaned_data["duration"]]
                self.log_change(request, user, f"Suspended ({duration}): {reason}")
                count += 1
            self.message_user(request, f"Suspended {count} user(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Suspend users",
            "opts": self.model._meta,
            "form": form,
            "users": queryset[:200],
            "count": queryset.count(),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "ban_users",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/user/ban.html", context)

    @admin.action(description="Lift the suspension of selected users", permissions=["ban"])
    def unban_users(self, request, queryset):
        count = 0
        for user in queryset.filter(banned_until__isnull=False).iterator(chunk_size=500):
            services.user_unban(user=user, by=request.user)
            self.log_change(request, user, "Suspension lifted")
            count += 1
        self.message_user(request, f"Lifted the suspension of {count} user(s).", messages.SUCCESS)

    @admin.action(description="Delete selected accounts (purged after the grace period)", permissions=["ban"])
    def delete_users(self, request, queryset):
        count = 0
        for user in self._targets(request, queryset).filter(deleted_at__isnull=True).iterator(chunk_size=500):
            services.user_delete(user=user, by=request.user)
            self.log_change(request, user, "Account deleted")
            count += 1
        self.message_user(request, f"Deleted {count} account(s).", messages.SUCCESS)

    @admin.action(description="Restore selected deleted accounts (grace period)", permissions=["ban"])
    def restore_users(self, request, queryset):
        count = 0
        for user in queryset.filter(deleted_at__isnull=False, purged_at__isnull=True).iterator(chunk_size=500):
            services.user_restore(user=user, by=request.user)
            self.log_change(request, user, "Account restored")
            count += 1
        self.message_user(request, f"Restored {count} account(s).", messages.SUCCESS)


class GraphAdmin(admin.ModelAdmin):
    """Graph rows change only through the services (counters, timelines); the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Follow)
class FollowAdmin(GraphAdmin):
    list_display = ("follower", "followee", "created_at")
    search_fields = ("follower__username", "followee__username")
    list_select_related = ("follower", "followee")
    readonly_fields = ("follower", "followee", "created_at")


@admin.register(Block)
class BlockAdmin(GraphAdmin):
    list_display = ("blocker", "blocked", "created_at")
    search_fields = ("blocker__username", "blocked__username")
    list_select_related = ("blocker", "blocked")
    readonly_fields = ("blocker", "blocked", "created_at")

"""The event outbox in the admin (what happened, which handlers ran, what failed and why) and the
audit trail (every moderator and staff action; read-only)."""

from django.contrib import admin
from django.db import transaction

from socialflow.core import events
from socialflow.core.models import AuditEntry, Event, HandlerRun


class HandlerRunInline(admin.TabularInline):
    model = HandlerRun
    extra = 0
    can_delete = False
    fields = ["handler", "status", "attempts", "next_attempt_at", "started_at", "finished_at", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "version", "status", "created_at", "dispatched_at", "finished_at"]
    list_filter = ["status", "name"]
    readonly_fields = ["name", "version", "payload", "status", "created_at", "dispatched_at", "finished_at"]
    inlines = [HandlerRunInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HandlerRun)
class HandlerRunAdmin(admin.ModelAdmin):
    list_display = ["id", "handler", "event", "status", "attempts", "next_attempt_at", "finished_at"]
    list_filter = ["status", "handler"]
    list_select_related = ["event"]
    readonly_fields = [
        "event",
        "handler",
        "status",
        "attempts",
        "next_attempt_at",
        "started_at",
        "finished_at",
        "last_error",
        "claimed_host",
        "claimed_pid",
    ]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected failed handler runs")
    def retry(self, request, queryset):
        run_ids = list(queryset.filter(status=HandlerRun.Status.FAILED).values_list("pk", flat=True))
        count = events.runs_retry(run_ids=run_ids)
        for run_id in run_ids:
            transaction.on_commit(lambda run_id=run_id: events.run_event_handler.delay(run_id), robust=True)
        self.message_user(request, f"{count} handler run(s) queued again.")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log: looked at, never written here (entries come only from the actions)."""

    list_display = ["created_at", "actor", "action", "target_content_type", "target_id", "target_repr", "reason"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter), "created_at", "target_content_type"]
    search_fields = ["target_repr", "target_id", "reason", "actor__username"]
    list_select_related = ["actor", "target_content_type"]
    date_hierarchy = "created_at"
    fields = readonly_fields = [
        "created_at",
        "actor",
        "action",
        "target_content_type",
        "target_id",
        "target_repr",
        "reason",
        "metadata",
    ]
    show_full_result_count = False

    def _is_moderator(self, request) -> bool:
        # Moderators with staff access read the log of their own console (as the users admin lets them).
        user = request.user
        return user.is_active and user.is_staff and bool(getattr(user, "is_moderator", False))

    def has_module_permission(self, request):
        return self._is_moderator(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_moderator(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

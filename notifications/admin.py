from django.contrib import admin

from notifications import services, tasks
from notifications.models import (
    Delivery,
    FanOutChunk,
    FollowerFanOut,
    Notification,
    NotificationSettings,
    Preference,
    PushDevice,
)
from socialflow.reliability.queue import enqueue_on_commit


class ReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("yes", "Read"), ("no", "Unread")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        return queryset


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "status", "attempts", "result", "created_at", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "kind", "actor", "actors_count", "is_read", "in_app", "updated_at"]
    list_filter = ["kind", ReadFilter, "in_app", "group_open"]
    search_fields = ["recipient__username", "recipient__email", "actor__username"]
    list_select_related = ["recipient", "actor"]
    raw_id_fields = ["recipient", "actor"]
    readonly_fields = [
        "recipient",
        "kind",
        "actor",
        "actors_count",
        "target_content_type",
        "target_object_id",
        "data",
        "group_key",
        "group_open",
        "in_app",
        "created_at",
        "updated_at",
        "read_at",
    ]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description="read")
    def is_read(self, obj):
        return obj.read_at is not None


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "notification", "channel", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "status"]
    search_fields = ["notification__recipient__username", "notification__recipient__email"]
    raw_id_fields = ["notification"]
    readonly_fields = ["notification", "channel", "status", "attempts", "result", "created_at", "sent_at"]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry failed deliveries")
    def retry(self, request, queryset):
        ids = services.deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        if ids:
            enqueue_on_commit(tasks.send_deliveries, ids)
        self.message_user(request, f"{len(ids)} deliveries queued again.")


@admin.register(PushDevice)
class PushDeviceAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "platform", "name", "created_at", "last_used_at"]
    list_filter = ["platform"]
    search_fields = ["user__username", "user__email", "name"]
    raw_id_fields = ["user"]
    readonly_fields = ["user", "platform", "token", "p256dh", "auth", "created_at", "last_used_at"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "email", "push", "updated_at"]
    list_filter = ["kind", "in_app", "email", "push"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mode", "last_digest_at", "updated_at"]
    list_filter = ["email_mode"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


class FanOutChunkInline(admin.TabularInline):
    model = FanOutChunk
    fields = ["index", "status", "recipients", "queued_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="recipients")
    def recipients(self, chunk):
        return len(chunk.recipient_ids)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FollowerFanOut)
class FollowerFanOutAdmin(admin.ModelAdmin):
    inlines = [FanOutChunkInline]
    list_display = ["id", "author", "kind", "status", "chunks", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["author__username"]
    raw_id_fields = ["author"]
    readonly_fields = [
        "author",
        "kind",
        "target_content_type",
        "target_object_id",
        "data",
        "status",
        "chunks",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return False

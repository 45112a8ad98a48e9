"""The ledger in the admin: read-only (money moves only through ``monetization.services``)."""

from django.contrib import admin

from monetization.models import Account, Entry, Transaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    fields = readonly_fields = ["account", "amount_minor", "currency", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "source", "idempotency_key", "memo"]
    list_filter = ["source", "created_at"]
    search_fields = ["^idempotency_key", "memo"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ["source", "idempotency_key", "memo", "created_at"]
    inlines = [EntryInline]
    show_full_result_count = False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "currency", "owner", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["owner__username"]
    list_select_related = ["owner"]
    fields = readonly_fields = ["owner", "kind", "currency", "created_at"]

"""The moderation queue is the Report admin: ordered by severity, then by how many open reports
the target has; actions go through ``moderation.services`` and need ``moderation.act_on_report``
(the ``moderator`` group has it; a plain staff user does not)."""

from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from moderation import selectors, services
from moderation.models import COPYRIGHT_REASONS, Report
from socialflow.core.admin_actions import confirmed_reason, reason_page

PREVIEW_LENGTH = 80


class CopyrightFilter(admin.SimpleListFilter):
    title = "routed to copyright"
    parameter_name = "copyright"

    def lookups(self, request, model_admin):
        return [("yes", "Rights reports"), ("no", "Other reports")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(reason__in=COPYRIGHT_REASONS)
        if self.value() == "no":
            return queryset.exclude(reason__in=COPYRIGHT_REASONS)
        return queryset


def _excerpt(target) -> str:
    for field in ("title", "text", "username"):
        value = getattr(target, field, None)
        if isinstance(value, str) and value:
            text = " ".join(value.split())
            return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"
    return str(target)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "severity",
        "open_on_target",
        "reason",
        "target_type",
        "target_preview",
        "reporter",
        "status",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("status", "reason", "target_type", CopyrightFilter)
    search_fields = ("reporter__username", "details")
    actions = ["dismiss_reports", "remove_content"]
    readonly_fields = (
        "reporter",
        "target_type",
        "target_id",
        "target_preview",
        "reason",
        "details",
        "severity",
        "status",
        "resolved_by",
        "resolved_at",
        "resolution_note",
        "created_at",
    )
    exclude = ("target_content_type",)

    def get_queryset(self, request):
        # The queue's order (severity, open reports on the target) comes from the selector.
        return selectors.report_queue().prefetch_related("target")

    def has_add_permission(self, request):
        return False  # reports are made by users through the API

    def has_delete_permission(self, request, obj=None):
        return False  # a report is history: it is dismissed or resolved, never deleted

    def has_act_permission(self, request):
        return request.user.has_perm("moderation.act_on_report")

    @admin.display(description="open on target", ordering="open_on_target")
    def open_on_target(self, report):
        return getattr(report, "open_on_target", None)

    @admin.display(description="target")
    def target_preview(self, report):
        target = report.target
        if target is None:
            return f"{report.target_type} {report.target_id} (gone)"
        ct = report.target_content_type
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[report.target_id])
        except NoReverseMatch:
            return _excerpt(target)
        return format_html('<a href="{}">{}</a>', url, _excerpt(target))

    @admin.action(description="Dismiss selected reports (no violation)", permissions=["act"])
    def dismiss_reports(self, request, queryset):
        count = services.reports_dismiss(reports=list(queryset), by=request.user)
        self.message_user(request, f"{count} report(s) dismissed.", messages.SUCCESS)

    @admin.action(description="Remove the reported content (closes every open report on it)…", permissions=["act"])
    def remove_content(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Remove reported content")
        count = 0
        for report in queryset:
            count += services.report_target_remove(report=report, by=request.user, reason=reason)
        self.message_user(request, f"Content removed; {count} report(s) resolved.", messages.SUCCESS)

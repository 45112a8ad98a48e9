"""The admin's moderation actions ask why before they act: an intermediate page with a reason,
told to the owner and kept in the audit log (``moderation_apply``'s ``reason``)::

    @admin.action(description="Hide selected videos (moderation)")
    def hide_videos(self, request, queryset):
        reason = confirmed_reason(request)
        if reason is None:
            return reason_page(self, request, queryset, title="Hide videos")
        for video in queryset:
            services.video_hide(video=video, by=request.user, reason=reason)
"""

from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Told to the owner and kept in the audit log.",
    )


def confirmed_reason(request) -> str | None:
    """The reason once the intermediate page was submitted and valid ("" allowed), else ``None``."""
    if "apply" not in request.POST:
        return None
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"].strip() if form.is_valid() else None


def reason_page(modeladmin, request, queryset, *, title: str) -> TemplateResponse:
    """The page asking for the reason (with the errors of a refused submission)."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "form": form,
        "objects": queryset[:200],
        "count": queryset.count(),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/core/moderation_reason.html", context)

"""Studio page ``/studio/moderation/``: my account's standing — warnings, strikes, limits,
suspensions; my content held or removed automatically and why; my appeals, and a form to appeal."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from moderation import selectors, services
from moderation.models import DETAILS_MAX_LENGTH
from socialflow.core.exceptions import DomainError

PAGE_ROWS = 50


class AppealForm(forms.Form):
    action_id = forms.CharField(required=False, widget=forms.HiddenInput)
    target_type = forms.CharField(required=False, widget=forms.HiddenInput)
    target_id = forms.CharField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(max_length=DETAILS_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}), label="Why")


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    if request.method == "POST":
        form = AppealForm(request.POST)
        if form.is_valid():
            try:
                services.appeal_create(user=request.user, **form.cleaned_data)
                messages.success(request, "Appeal sent: another moderator will review it.")
            except DomainError as exc:
                messages.error(request, exc.message)
        else:
            messages.error(request, "Say why the decision was wrong (at most 1000 characters).")
        return redirect("moderation:index")
    appeals = list(selectors.appeals_of(user=request.user)[:PAGE_ROWS])
    appealed_actions = {a.action_id for a in appeals if a.action_id}
    appealed_content = {(a.target_type, a.target_id) for a in appeals if a.action_id is None}
    context = {
        "summary": services.user_action_summary(user=request.user),
        "actions": list(selectors.account_actions_of(user=request.user)[:PAGE_ROWS]),
        "moderated": selectors.moderated_content_of(user=request.user, limit=PAGE_ROWS),
        "appeals": appeals,
        "appealed_actions": appealed_actions,
        "appealed_content": appealed_content,
    }
    return render(request, "moderation/index.html", context)

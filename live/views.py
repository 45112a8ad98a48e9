"""Studio page ``/studio/live/``: create and control my stream, OBS settings, preview, chat moderation."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from live import selectors, services
from live.api.serializers import hls_url_for
from socialflow.core.exceptions import DomainError


class StreamForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.CharField(max_length=50, required=False)
    chat_enabled = forms.BooleanField(required=False, initial=True)
    members_only = forms.BooleanField(required=False)
    chat_established_only = forms.BooleanField(required=False, label="Established accounts only")
    slow_mode_s = forms.IntegerField(min_value=0, max_value=86400, initial=0, label="Slow mode (seconds)")


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    stream = selectors.stream_active_for_owner(user=request.user)
    if request.method == "POST":
        action = request.POST.get("action")
        form = StreamForm(request.POST)
        try:
            if action == "create" and stream is None and form.is_valid():
                services.stream_create(owner=request.user, **form.cleaned_data)
                messages.success(request, "Stream created: paste the RTMP URL and key into OBS.")
            elif action == "update" and stream is not None and form.is_valid():
                services.stream_update(stream=stream, **form.cleaned_data)
                messages.success(request, "Saved.")
            elif action == "rotate" and stream is not None:
                services.stream_rotate_key(stream=stream)
                messages.success(request, "New stream key: update it in OBS.")
            elif action == "end" and stream is not None:
                services.stream_end(stream=stream)
                messages.success(request, "Stream ended. The recording becomes a video shortly.")
            elif not form.is_valid() and action in ("create", "update"):
                messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("live:index")
    form = StreamForm(
        initial={
            field: getattr(stream, field)
            for field in StreamForm.base_fields
            if stream is not None and hasattr(stream, field)
        }
        or None
    )
    context = {
        "stream": stream,
        "form": form,
        "rtmp_url": settings.LIVE_RTMP_URL,
        "hls_url": hls_url_for(stream) if stream else None,
        "history": selectors.stream_history_for_owner(user=request.user),
    }
    return render(request, "live/index.html", context)

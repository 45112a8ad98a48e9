"""Studio pages: notification settings, the inbox, email unsubscribe and the push service worker."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications import emails, selectors, services, text
from notifications.forms import PreferencesForm
from notifications.models import Channel, Kind, Notification


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    """The preferences grid (kinds × channels) and the email mode."""
    user = request.user
    current = selectors.preferences_for(user_id=user.pk)
    email_mode = selectors.email_mode_for(user_id=user.pk)
    form = PreferencesForm(request.POST or None, current=current, email_mode=email_mode)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(user=user, kinds=form.kinds_changes(), email_mode=form.cleaned_data["email_mode"])
        messages.success(request, "Notification settings saved.")
        return redirect("notifications:index")
    return render(
        request,
        "notifications/index.html",
        {
            "form": form,
            "channels": list(Channel),
            "devices": selectors.devices_for(user_id=user.pk),
            "unread_count": selectors.unread_count(user_id=user.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request):
    user = request.user
    if request.method == "POST":
        if request.POST.get("action") == "mark_all_read":
            services.notifications_mark_read(user=user, all=True)
        return redirect("notifications:inbox")
    kind = request.GET.get("kind") or None
    if kind not in Kind.values:
        kind = None
    unread = True if request.GET.get("unread") == "1" else None
    page = Paginator(
        selectors.notification_list(user=user, kinds=[kind] if kind else None, unread=unread).order_by(
            "-updated_at", "-id"
        ),
        30,
    ).get_page(request.GET.get("page"))
    items = [{"n": n, "sentence": text.sentence(n), "url": text.link(n)} for n in page.object_list]
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "items": items,
            "kinds": list(Kind),
            "kind": kind,
            "unread": unread,
            "unread_count": selectors.unread_count(user_id=user.pk),
        },
    )


@login_required
@require_POST
def inbox_delete(request, pk: int):
    try:
        notification = selectors.notification_get_for_user(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    services.notification_delete(notification=notification)
    back = request.POST.get("next", "")
    # Only back to a page of this site (the inbox with its filters), never an open redirect.
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("notifications:inbox")
    return redirect(back)


@csrf_exempt  # the signed token is the credential; RFC 8058 one-click POSTs carry no CSRF cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows a confirmation (link scanners must not unsubscribe anyone); POST unsubscribes,
    both from the page's button and from mail clients' one-click ``List-Unsubscribe=One-Click``."""
    try:
        user_id, kind = emails.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    context = {"kind": Kind(kind) if kind else None, "email": user.email, "done": False}
    if request.method == "POST":
        services.email_unsubscribe(user=user, kind=kind)
        context["done"] = True
    return render(request, "notifications/unsubscribe.html", context)


def service_worker(request):
    """The Web Push service worker (served from /studio/notifications/ so it can be registered there)."""
    response = render(request, "notifications/sw.js", content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response

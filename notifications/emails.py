"""Notification emails: one per notification or a daily digest, HTML + text, with one-click
unsubscribe (RFC 8058 ``List-Unsubscribe`` + ``List-Unsubscribe-Post``) through signed tokens."""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications import text
from notifications.models import Kind, Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(*, user_id: int, kind: str | None) -> str:
    """Signed, non-expiring: an unsubscribe link must keep working in old emails."""
    return signing.dumps({"u": user_id, "k": kind or ""}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str | None]:
    """``(user_id, kind or None)``; raises ``signing.BadSignature`` for a forged/garbled token."""
    payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    kind = payload.get("k") or None
    if kind is not None and kind not in Kind.values:
        raise signing.BadSignature("unknown kind")
    return int(payload["u"]), kind


def unsubscribe_url(*, user_id: int, kind: str | None) -> str:
    token = unsubscribe_token(user_id=user_id, kind=kind)
    return text.absolute(reverse("notifications:unsubscribe", kwargs={"token": token}))


def _message(*, user, subject: str, template: str, context: dict, unsubscribe: str) -> EmailMultiAlternatives:
    context = {
        **context,
        "user": user,
        "site_url": settings.SITE_URL,
        "preferences_url": text.absolute(reverse("notifications:index")),
        "unsubscribe_url": unsubscribe,
        "unsubscribe_all_url": unsubscribe_url(user_id=user.pk, kind=None),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/notifications/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"emails/notifications/{template}.html", context), "text/html")
    return message


def _excerpt(notification: Notification) -> str:
    data = notification.data if isinstance(notification.data, dict) else {}
    # A post/comment's text, else the reason something failed (video_failed carries "error").
    value = data.get("excerpt") or data.get("error")
    return value[:280] if isinstance(value, str) else ""


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    user = notification.recipient
    sentence = text.sentence(notification)
    return _message(
        user=user,
        subject=sentence[:150],
        template="notification",
        context={
            "notification": notification,
            "sentence": sentence,
            "excerpt": _excerpt(notification),
            "url": text.link(notification),
            "kind_label": Kind(notification.kind).label,
        },
        unsubscribe=unsubscribe_url(user_id=user.pk, kind=notification.kind),
    )


def digest_email(*, user, notifications: list[Notification]) -> EmailMultiAlternatives:
    items = [
        {"sentence": text.sentence(n), "excerpt": _excerpt(n), "url": text.link(n), "created_at": n.updated_at}
        for n in notifications
    ]
    count = len(items)
    return _message(
        user=user,
        subject=f"Your Social Flow digest: {count} new notification{'s' if count != 1 else ''}",
        template="digest",
        context={"items": items, "count": count, "inbox_url": text.absolute(reverse("notifications:inbox"))},
        unsubscribe=unsubscribe_url(user_id=user.pk, kind=None),
    )

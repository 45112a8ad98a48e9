"""Preferences per kind × channel, the email mode and unsubscribe."""

from django.db import transaction

from notifications import selectors
from notifications.models import (
    EmailMode,
    Kind,
    NotificationSettings,
    Preference,
)
from notifications.preferences import Channels


def preferences_update(
    *, user, kinds: dict[str, dict[str, bool]] | None = None, email_mode: str | None = None
) -> dict[str, Channels]:
    """Change some channels of some kinds (others keep their current value) and/or the email mode.

    ``kinds`` maps kind → {"in_app"?, "email"?, "push"?}. Returns every kind's effective channels.
    """
    with transaction.atomic():
        if email_mode is not None:
            NotificationSettings.objects.update_or_create(user=user, defaults={"email_mode": EmailMode(email_mode)})
        for kind, changes in (kinds or {}).items():
            kind = Kind(kind).value
            current = selectors.channels_for(user_id=user.pk, kind=kind)
            values = {
                "in_app": changes.get("in_app", current.in_app),
                "email": changes.get("email", current.email),
                "push": changes.get("push", current.push),
            }
            Preference.objects.update_or_create(user=user, kind=kind, defaults=values)
    return selectors.preferences_for(user_id=user.pk)


def email_unsubscribe(*, user, kind: str | None = None) -> None:
    """One-click unsubscribe: from one kind's emails, or (kind None) from all notification email."""
    if kind:
        preferences_update(user=user, kinds={kind: {"email": False}})
    else:
        preferences_update(user=user, email_mode=EmailMode.OFF)

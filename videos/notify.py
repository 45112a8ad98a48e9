"""The one place videos talks to notifications (``notifications.services.notify`` / ``notify_followers``).

Called inside the caller's transaction; notifications defers delivery to on_commit itself.
notifications imports no video code, so this is a plain module import (videos sits above
notifications; docs/architecture.md, "Dependency direction and import contracts").
"""

from notifications import services


def notify(*, recipient, kind: str, actor=None, target=None, data: dict | None = None):
    return services.notify(recipient=recipient, kind=kind, actor=actor, target=target, data=data)


def notify_followers(*, author, kind: str, target, data: dict | None = None):
    return services.notify_followers(author=author, kind=kind, target=target, data=data)

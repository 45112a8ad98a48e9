"""The one place videos talks to notifications (``notifications.services.notify`` / ``notify_followers``).

Called inside the caller's transaction; notifications defers delivery to on_commit itself. Imported
lazily to keep the apps' import graphs independent.
"""


def notify(*, recipient, kind: str, actor=None, target=None, data: dict | None = None):
    from notifications import services

    return services.notify(recipient=recipient, kind=kind, actor=actor, target=target, data=data)


def notify_followers(*, author, kind: str, target, data: dict | None = None):
    from notifications import services

    return services.notify_followers(author=author, kind=kind, target=target, data=data)

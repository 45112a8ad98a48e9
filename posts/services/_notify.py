"""Calls into the notifications app, imported lazily (notifications reads posts' selectors).

Until ``notifications.services`` is deployed alongside, the calls are skipped (never fail a post).
"""

import importlib


def _services():
    try:
        return importlib.import_module("notifications.services")
    except ModuleNotFoundError as exc:
        if exc.name != "notifications.services":
            raise
        return None


def notify(*, recipient, kind: str, actor=None, target=None, data: dict | None = None) -> None:
    module = _services()
    if module is not None:
        module.notify(recipient=recipient, kind=kind, actor=actor, target=target, data=data)


def notify_followers(*, author, kind: str, target) -> None:
    module = _services()
    if module is not None:
        module.notify_followers(author=author, kind=kind, target=target)

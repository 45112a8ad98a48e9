"""Account restrictions: may this user upload videos or go live right now?

Lower apps (videos, live) ask here before a user starts an upload or a stream; the moderation app
(strikes, limits) answers by registering a provider from its ``AppConfig.ready()``::

    restrictions.set_provider(moderation_restriction)

A provider is ``fn(user_id, capability) -> str | None``: ``None`` allows, a string refuses with
that sentence (shown to the user as the 403's message). Until one is registered nobody is
restricted. Nothing in here imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable

from socialflow.core.exceptions import PermissionDenied

UPLOAD = "upload"
LIVE = "live"
CAPABILITIES = (UPLOAD, LIVE)

Provider = Callable[[int, str], "str | None"]

_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    """The moderation app registers its check here (``None`` removes it)."""
    global _provider
    _provider = provider


def refusal(user, capability: str) -> str | None:
    """Why ``user`` may not use ``capability`` now, or ``None`` when they may."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    if _provider is None or getattr(user, "pk", None) is None:
        return None
    return _provider(user.pk, capability)


def check(user, capability: str) -> None:
    """Raise ``PermissionDenied`` (code ``restricted``) when ``user`` may not use ``capability``."""
    reason = refusal(user, capability)
    if reason:
        raise PermissionDenied(reason, code="restricted")

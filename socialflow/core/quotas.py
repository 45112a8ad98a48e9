"""Creator quotas: how many videos, how much storage and how many concurrent live streams a user's
plan allows, and the checks the upload and live services make before they create anything.

Two kinds of provider, registered from ``AppConfig.ready()`` so nothing here imports a domain app:

- **Limits** (monetization's creator plans): ``set_limits_provider(provider)``, a
  :class:`LimitsProvider` whose ``limits_for(user_id)`` returns the user's :class:`Limits`. Until one
  is registered everyone is unlimited.
- **Usage** (the apps that own what is counted): ``set_usage(VIDEOS, fn)`` etc., ``fn(user_id) ->
  int``. ``videos`` counts videos and source bytes, ``live`` streams live right now. A resource
  nobody counts is never refused.

The checks run inside the transaction that creates what they count: a limited user's row is
locked there, so concurrent requests cannot both take the last place. ``check_videos`` /
``check_storage`` / ``check_live`` raise :class:`QuotaExceeded` (403,
``quota_exceeded``), which carries the plan, the limit and where to upgrade; the API adds those to
its error body. A limit of ``None`` is unlimited. A plan changed to one below what the user already
has is allowed: nothing is taken away, only new uploads and streams are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from socialflow.core.exceptions import PermissionDenied

VIDEOS = "videos"
STORAGE = "storage"
LIVE = "live"
RESOURCES = (VIDEOS, STORAGE, LIVE)

UPGRADE_PATH = "/api/v1/monetization/plans"


@dataclass(frozen=True)
class Limits:
    """One plan's quotas; ``None`` is unlimited."""

    plan: str
    max_videos: int | None = None
    storage_bytes: int | None = None
    live_streams: int | None = None

    def limit(self, resource: str) -> int | None:
        return {VIDEOS: self.max_videos, STORAGE: self.storage_bytes, LIVE: self.live_streams}[resource]


UNLIMITED = Limits(plan="unlimited")


class LimitsProvider:
    """Answers "what may this user have?". The default: anything."""

    def limits_for(self, user_id: int) -> Limits:
        return UNLIMITED


class QuotaExceeded(PermissionDenied):
    """A plan's quota is used up (403). ``extra`` goes into the API's error body."""

    default_message = "Your plan's quota is used up."
    default_code = "quota_exceeded"

    def __init__(self, message: str | None = None, *, plan: str, resource: str, limit: int, used: int):
        super().__init__(message)
        self.plan, self.resource, self.limit, self.used = plan, resource, limit, used
        self.extra = {"plan": plan, "resource": resource, "limit": limit, "upgrade": UPGRADE_PATH}


_limits: LimitsProvider = LimitsProvider()
_usage: dict[str, Callable[[int], int]] = {}


def set_limits_provider(provider: LimitsProvider | None) -> None:
    """Monetization registers the plan-based limits here (``None``: everyone unlimited)."""
    global _limits
    _limits = provider or LimitsProvider()


def limits_provider() -> LimitsProvider:
    """The provider in place (a test that swaps it puts this one back)."""
    return _limits


def set_usage(resource: str, counter: Callable[[int], int] | None) -> None:
    """The app owning ``resource`` registers how to count a user's use of it."""
    if resource not in RESOURCES:
        raise ValueError(f"unknown resource {resource!r}")
    if counter is None:
        _usage.pop(resource, None)
    else:
        _usage[resource] = counter


def limits_for(user) -> Limits:
    uid = getattr(user, "pk", None)
    return UNLIMITED if uid is None else _limits.limits_for(uid)


def usage(user, resource: str) -> int:
    """What ``user`` uses of ``resource`` now (0 when nobody counts it)."""
    counter = _usage.get(resource)
    uid = getattr(user, "pk", None)
    return 0 if counter is None or uid is None else int(counter(uid))


_MESSAGES = {
    VIDEOS: "Your {plan} plan allows {limit} videos: upgrade your plan or delete a video to upload another.",
    STORAGE: "Your {plan} plan allows {size} of video storage: upgrade your plan to upload this video.",
    LIVE: "Your {plan} plan allows {limit} concurrent live streams: upgrade your plan to go live.",
}


def _size(n: int) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def _hold(user) -> None:
    """Lock the user's row to the end of the caller's transaction, so two uploads (or streams)
    checked at once are counted one after the other: the second sees the first's row."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("check quotas inside the transaction that creates what they count")
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def _check(user, resource: str, adding: int) -> None:
    if not getattr(settings, "CREATOR_QUOTAS_ENFORCED", True):
        return
    limits = limits_for(user)
    limit = limits.limit(resource)
    if limit is None:
        return
    _hold(user)
    used = usage(user, resource)
    if used + adding > limit:
        message = _MESSAGES[resource].format(plan=limits.plan, limit=limit, size=_size(limit))
        raise QuotaExceeded(message, plan=limits.plan, resource=resource, limit=limit, used=used)


def check_videos(user) -> None:
    """Refuse one more video when the plan's video count is reached."""
    _check(user, VIDEOS, 1)


def check_storage(user, adding_bytes: int) -> None:
    """Refuse ``adding_bytes`` more of video sources beyond the plan's storage."""
    _check(user, STORAGE, max(0, int(adding_bytes)))


def check_live(user) -> None:
    """Refuse one more live stream beyond the plan's concurrent streams."""
    _check(user, LIVE, 1)

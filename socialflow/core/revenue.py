"""Revenue seams between siblings that may not import each other. Nothing here imports a domain app.

**Claim shares** (copyright → monetization). The app that routes revenue (monetization) asks
``claim_shares(video_id=…, amount=Money)`` and gets ``[(user_id, Money), …]`` for the claimants,
cent-exact; what they leave (``amount`` minus their sum) is the uploader's. ``claim_weights(video_id=…)``
gives the same shares as exact fractions (monetization's revenue share rounds them together with the
uploader's by largest remainder). Until an app registers a
provider (copyright does, with ``set_claim_share_provider``) nobody claims anything.

**Revenue rows** (monetization → analytics). Monetization registers ``set_revenue_claim_share_provider`` from
its ``ready()`` with a function returning a creator's earnings credited in ``[start, end)`` as
``(created_at, source, currency, amount_minor)`` tuples (earning sources only: no payouts, fees or
hold releases); analytics buckets them into the creator's days. Without a provider there is none.

**Track claimants** (copyright → analytics). Who besides a video's owner may read its analytics:
copyright registers ``set_analytics_claimant_claim_share_provider`` answering whether a user holds a claim on
the video. Without one, the owner only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from fractions import Fraction

from socialflow.core.money import Money

RevenueRow = tuple[datetime, str, str, int]


class ClaimShareProvider:
    """Who else is owed part of a video's revenue: ``split`` returns claimants' shares only."""

    def split(self, *, video_id: int, amount: Money) -> list[tuple[int, Money]]:
        raise NotImplementedError

    def weights(self, *, video_id: int) -> list[tuple[int, Fraction]]:
        """Each claimant's exact fraction of the video's revenue (together at most 1), unrounded, so
        the caller can share out an amount among claimants and uploader by largest remainder."""
        raise NotImplementedError


_claim_share_provider: ClaimShareProvider | None = None


def set_claim_share_provider(provider: ClaimShareProvider | None) -> None:
    global _claim_share_provider
    _claim_share_provider = provider


def claim_shares(*, video_id: int, amount: Money) -> list[tuple[int, Money]]:
    """(claimant user id, share) for each claimant; what they leave (``amount`` minus their sum) is the uploader's."""
    if _claim_share_provider is None:
        return []
    return _claim_share_provider.split(video_id=video_id, amount=amount)


def claim_weights(*, video_id: int) -> list[tuple[int, Fraction]]:
    """(claimant user id, exact fraction of the revenue) for each claimant; the rest is the uploader's."""
    if _claim_share_provider is None:
        return []
    return _claim_share_provider.weights(video_id=video_id)


_revenue_provider: Callable[..., list[RevenueRow]] | None = None


def set_revenue_provider(provider: Callable[..., list[RevenueRow]] | None) -> None:
    global _revenue_provider
    _revenue_provider = provider


def revenue_rows(*, user_id: int, start: datetime, end: datetime) -> list[RevenueRow]:
    """Earnings credited to ``user_id`` from ``start`` (inclusive) to ``end`` (exclusive)."""
    if _revenue_provider is None:
        return []
    return list(_revenue_provider(user_id=user_id, start=start, end=end))


# Who besides a video's owner may read its analytics: copyright registers a provider answering
# whether ``user_id`` holds a ``track`` (or stronger) claim on ``video_id``. None: the owner only.
_claimant: Callable[..., bool] | None = None


def set_analytics_claimant_provider(provider: Callable[..., bool] | None) -> None:
    global _claimant
    _claimant = provider


def is_analytics_claimant(*, user_id: int | None, video_id: int) -> bool:
    if user_id is None or _claimant is None:
        return False
    return bool(_claimant(user_id=user_id, video_id=video_id))

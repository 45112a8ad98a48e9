"""Revenue by source for analytics, read from the monetization ledger through a provider hook.

``analytics`` and ``monetization`` are siblings and may not import each other. Monetization
registers :func:`set_revenue_provider` from its ``ready()`` with a function that returns a creator's
earnings credited in ``[start, end)`` as ``(created_at, source, currency, amount_minor)`` tuples
(earning sources only: no payouts, fees or hold releases); analytics buckets them into the
creator's days. Without a provider (monetization not installed) there is no revenue.

This module imports no domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

RevenueRow = tuple[datetime, str, str, int]

_provider: Callable[..., list[RevenueRow]] | None = None


def set_revenue_provider(provider: Callable[..., list[RevenueRow]] | None) -> None:
    global _provider
    _provider = provider


def revenue_rows(*, user_id: int, start: datetime, end: datetime) -> list[RevenueRow]:
    """Earnings credited to ``user_id`` from ``start`` (inclusive) to ``end`` (exclusive)."""
    if _provider is None:
        return []
    return list(_provider(user_id=user_id, start=start, end=end))


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

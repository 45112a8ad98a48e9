"""Recommendations: the seam between the model ``analytics`` trains and the lists that use it.

``posts`` ("for you") and ``videos`` ("up next") may not import ``analytics``; they ask here.
``analytics`` registers a provider from its ``ready()`` (:func:`set_provider`) that answers from
its stored item-item neighbours. The answers are candidate ids only: the caller filters them
through the access layer (blocked, muted, private, removed, members-only never leak) and falls
back to its own popularity ranking when the model knows nothing (new users and items). Without a
provider every answer is empty.

This module imports no domain app.
"""

from __future__ import annotations

import logging
from typing import Protocol

logger = logging.getLogger(__name__)


class Provider(Protocol):
    def related(self, *, kind: str, item_id: int, limit: int) -> list[tuple[int, float]]: ...

    def for_user(self, *, kind: str, user_id: int, limit: int) -> list[tuple[int, float]]: ...


_provider: Provider | None = None


def set_provider(provider: Provider | None) -> None:
    global _provider
    _provider = provider


def related(*, kind: str, item_id: int, limit: int = 50) -> list[tuple[int, float]]:
    """Items like ``item_id`` (``kind`` "video" or "post"), best first, as (id, score)."""
    if _provider is None:
        return []
    try:
        return list(_provider.related(kind=kind, item_id=int(item_id), limit=limit))
    except Exception:  # a recommendation must never break the page that asks for one
        logger.exception("recommendations: related(%s, %s) failed", kind, item_id)
        return []


def for_user(*, kind: str, user_id: int | None, limit: int = 100) -> list[tuple[int, float]]:
    """Items for ``user_id`` from what they interacted with, best first, as (id, score)."""
    if _provider is None or user_id is None:
        return []
    try:
        return list(_provider.for_user(kind=kind, user_id=int(user_id), limit=limit))
    except Exception:
        logger.exception("recommendations: for_user(%s, %s) failed", kind, user_id)
        return []

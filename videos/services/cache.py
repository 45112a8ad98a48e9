"""Invalidation of the video hydration cache (``videos.api.representations``): every service that
changes what a video's representation shows, or who may see it, calls ``video_cache_invalidate``."""

from collections.abc import Iterable

from socialflow.hydration import hydration_invalidate


def video_cache_invalidate(*, video_ids: Iterable[int]) -> None:
    """The cached representations of ``video_ids`` are stale once the current transaction commits."""
    hydration_invalidate(kind="video", ids=video_ids)

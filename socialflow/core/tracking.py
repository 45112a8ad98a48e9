"""Analytics tracking: the hot-path seam between the apps that see activity and ``analytics``.

Lower apps (``videos``) may not import ``analytics``, so they call :func:`track` here with a small
JSON payload (``kind`` plus ids and integers). The record is appended to a Redis list
(``TRACKING_BUFFER_KEY``) after the caller's transaction commits — one RPUSH, no database write on
the request path — and ``analytics.tasks.flush_tracking`` drains the list in batches into raw rows
and daily aggregates. While Redis is down or absent (``get_redis()`` is ``None``) the record goes to
the sink ``analytics`` registers with :func:`set_sink` (a raw row written directly), so nothing is
lost; with no sink registered (``analytics`` not installed) records are dropped. Batch flushes that
must commit records with their own bookkeeping (``videos``' heartbeat flush) use :func:`write_now`.

This module imports no domain app.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from socialflow.redis import REDIS_DOWN_ERRORS, get_redis, redis_marked_down

logger = logging.getLogger(__name__)

TRACKING_BUFFER_KEY = "sf:analytics:buffer"
TRACKING_FLUSHING_PREFIX = "sf:analytics:flushing:"

KINDS = frozenset({"session", "heartbeat", "view", "share"})

_sink: Callable[[list[dict]], None] | None = None


def set_sink(sink: Callable[[list[dict]], None] | None) -> None:
    """``analytics`` registers its direct writer here (used when Redis is unavailable)."""
    global _sink
    _sink = sink


def _push(record: dict) -> None:
    client = get_redis()
    if client is not None and not redis_marked_down():
        try:
            client.rpush(TRACKING_BUFFER_KEY, json.dumps(record, separators=(",", ":")))
            return
        except REDIS_DOWN_ERRORS as exc:
            logger.warning("analytics record kept in the database: redis unavailable (%s)", exc)
    if _sink is not None:
        _sink([record])


def write_now(records: list[dict]) -> None:
    """Write already-built records through the sink at once, in the caller's transaction: for a
    batch flush that must commit its records with its own bookkeeping (exactly once). Records are
    dropped when no sink is registered (``analytics`` not installed)."""
    if not records:
        return
    for record in records:
        if record.get("kind") not in KINDS:
            raise ValueError(f"unknown tracking kind {record.get('kind')!r}")
    if _sink is not None:
        _sink(records)


def track(kind: str, **fields) -> None:
    """Buffer one analytics record (sent after the current transaction commits, if any)."""
    if kind not in KINDS:
        raise ValueError(f"unknown tracking kind {kind!r}")
    record = {"kind": kind, "at": timezone.now().isoformat(), **fields}
    for key, value in list(record.items()):
        if value is not None and not isinstance(value, (str, int, bool)):
            record[key] = str(value)
    transaction.on_commit(lambda: _push(record))

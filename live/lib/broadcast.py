"""Pushes to a stream's chat room over the ``live`` channel layer.

A room event carries the client frame already encoded (``frame``): it is serialised once per
message instead of once per socket, which matters when one message fans out to thousands.
"""

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from socialflow.redis import redis_marked_down

logger = logging.getLogger(__name__)

LAYER_ALIAS = "live"


def room_group(stream_id: int) -> str:
    return f"live.chat.{stream_id}"


def room_event(frame: dict) -> dict:
    """The layer message for a client frame: routed by the frame's type, sent verbatim."""
    return {"type": frame["type"], "frame": json.dumps(frame, separators=(",", ":"))}


def room_send(*, stream_id: int, event: dict) -> None:
    layer = get_channel_layer(LAYER_ALIAS)
    if layer is not None:
        async_to_sync(layer.group_send)(room_group(stream_id), room_event(event))


def room_send_safely(*, stream_id: int, event: dict) -> None:
    """Best effort: the state change is committed whatever the channel layer does (skipped at
    once while Redis is known to be down, instead of waiting for its timeout)."""
    if redis_marked_down():
        logger.warning("live: %s to stream %s not pushed: redis unavailable", event.get("type"), stream_id)
        return
    try:
        room_send(stream_id=stream_id, event=event)
    except Exception:
        logger.exception("live: could not push %s to stream %s", event.get("type"), stream_id)

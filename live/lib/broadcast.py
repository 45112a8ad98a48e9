"""Pushes to a stream's chat room over the ``live`` channel layer (from sync code, after commit)."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

LAYER_ALIAS = "live"


def room_group(stream_id: int) -> str:
    return f"live.chat.{stream_id}"


def room_send(*, stream_id: int, event: dict) -> None:
    layer = get_channel_layer(LAYER_ALIAS)
    if layer is not None:
        async_to_sync(layer.group_send)(room_group(stream_id), event)


def room_send_safely(*, stream_id: int, event: dict) -> None:
    """Best effort: the state change is committed whatever the channel layer does."""
    try:
        room_send(stream_id=stream_id, event=event)
    except Exception:
        logger.exception("live: could not push %s to stream %s", event.get("type"), stream_id)

"""Pushes to a stream's chat room from synchronous code (services, after commit).

A room event is the client frame's JSON text, encoded once per message and published once on the
room's Redis channel; every ASGI process's room hub (``live.lib.hub``) writes that text to its
local sockets of the room, so nothing is serialised once per socket.
"""

import json
import logging

from live.lib.hub import room_channel
from socialflow.redis import get_redis, redis_marked_down

logger = logging.getLogger(__name__)


def room_frame(frame: dict) -> str:
    """The text every socket of the room receives for ``frame``."""
    return json.dumps(frame, separators=(",", ":"))


def room_send(*, stream_id: int, event: dict) -> None:
    client = get_redis()
    if client is not None:
        client.publish(room_channel(stream_id), room_frame(event))


def room_send_safely(*, stream_id: int, event: dict) -> None:
    """Best effort: the state change is committed whatever Redis does (skipped at once while Redis
    is known to be down, instead of waiting for its timeout)."""
    if redis_marked_down():
        logger.warning("live: %s to stream %s not pushed: redis unavailable", event.get("type"), stream_id)
        return
    try:
        room_send(stream_id=stream_id, event=event)
    except Exception:
        logger.exception("live: could not push %s to stream %s", event.get("type"), stream_id)

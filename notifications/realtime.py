"""Realtime push to ``ws/notifications/`` sockets through the channel layer (one group per user).

With channels-redis (``REDIS_URL`` set) a push from any process — web or Celery worker — reaches
every socket of the user. The embedded in-memory layer only reaches sockets served by the same
process, so in embedded mode pushes made by the web process (the common case: notify() called in a
request) arrive, while pushes made in a Celery worker (follower fan-out) are only seen on the next
list/unread-count fetch or reconnect.
"""

import logging
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from notifications import selectors
from notifications.api.serializers import NotificationSerializer
from socialflow.redis import redis_marked_down

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def _layer():
    """The channel layer, or None when there is none or Redis is marked down (best effort: clients
    catch up on their next fetch or reconnect)."""
    layer = get_channel_layer()
    if layer is None:
        return None
    if redis_marked_down():
        logger.warning("realtime notification pushes skipped: redis unavailable")
        return None
    return layer


def _send_many(layer, messages: list[tuple[str, dict]]) -> None:
    """All group sends in one trip through async_to_sync (a per-message trip costs milliseconds)."""
    if not messages:
        return

    async def send_all():
        for group, message in messages:
            await layer.group_send(group, message)

    async_to_sync(send_all)()


def _listening(layer, user_ids: set[int]) -> set[int]:
    """Which users have a socket in their group (one Redis round trip for a fan-out chunk); all of
    them on a layer that cannot tell."""
    if not hasattr(layer, "groups_with_members"):
        return user_ids
    groups = {user_group(uid): uid for uid in user_ids}
    return {groups[g] for g in layer.groups_with_members(list(groups))}


def push_notifications(*, notification_ids: list[int]) -> None:
    """Send each notification (in its current, possibly aggregated, state) with the unread count."""
    push_rows(rows=list(selectors.notification_list_by_ids(ids=notification_ids)))


def push_rows(*, rows: list) -> None:
    """Push rows whose actor and target type are loaded (no query per row)."""
    push_built(
        recipient_ids=[n.recipient_id for n in rows],
        build=lambda listening: [n for n in rows if n.recipient_id in listening],
    )


def push_built(*, recipient_ids: list[int], build: Callable[[set[int]], list]) -> None:
    """Push new rows to those of ``recipient_ids`` with a socket open, with their unread counts.

    ``build(listening)`` returns those users' rows, actor and target type loaded. Most followers
    of a fan-out are offline: their rows are never made, serialized, counted or sent (two Redis
    round trips each). They see the row on their next fetch, and the unread count a socket gets on
    connect includes it (pushes run after commit).
    """
    layer = _layer() if recipient_ids else None
    if layer is None:
        return
    listening = _listening(layer, set(recipient_ids))
    rows = build(listening) if listening else []
    if not rows:
        return
    counts = selectors.unread_counts(user_ids=sorted({n.recipient_id for n in rows}))
    # many=True builds the serializer's fields once for the batch, not once per row.
    payloads = NotificationSerializer(rows, many=True).data
    _send_many(
        layer,
        [
            (
                user_group(n.recipient_id),
                {"type": "notification.push", "notification": dict(payload), "unread_count": counts[n.recipient_id]},
            )
            for n, payload in zip(rows, payloads, strict=True)
        ],
    )


def push_unread_count(*, user_id: int) -> None:
    layer = _layer()
    if layer is None:
        return
    count = selectors.unread_count(user_id=user_id)
    _send_many(layer, [(user_group(user_id), {"type": "unread.count", "unread_count": count})])

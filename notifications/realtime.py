"""Realtime push to ``ws/notifications/`` sockets through the channel layer (one group per user).

With channels-redis (``REDIS_URL`` set) a push from any process — web or Celery worker — reaches
every socket of the user. The embedded in-memory layer only reaches sockets served by the same
process, so in embedded mode pushes made by the web process (the common case: notify() called in a
request) arrive, while pushes made in a Celery worker (follower fan-out) are only seen on the next
list/unread-count fetch or reconnect.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from notifications import selectors

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, message)


def push_notifications(*, notification_ids: list[int]) -> None:
    """Send each notification (in its current, possibly aggregated, state) with the unread count."""
    from notifications.api.serializers import NotificationSerializer

    rows = list(selectors.notification_list_by_ids(ids=notification_ids))
    counts = selectors.unread_counts(user_ids=sorted({n.recipient_id for n in rows}))
    for notification in rows:
        _send(
            user_group(notification.recipient_id),
            {
                "type": "notification.push",
                "notification": dict(NotificationSerializer(notification).data),
                "unread_count": counts[notification.recipient_id],
            },
        )


def push_unread_count(*, user_id: int) -> None:
    _send(user_group(user_id), {"type": "unread.count", "unread_count": selectors.unread_count(user_id=user_id)})

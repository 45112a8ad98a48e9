"""Access rules of the ``notification`` kind. Registered from ``NotificationsConfig.ready()``.

A notification is its recipient's alone, and only in the in-app inbox (``in_app``); a row whose
actor is blocked either way by the recipient *now* is hidden too (a block made after the fact
hides the blocked account's earlier likes, replies and follows). Moderators and staff read
nobody's inbox. Every read of the inbox — the list, one row, the unread counts — goes through it.
"""

from django.db.models import Exists, OuterRef, Q

from accounts.models import Block
from notifications.models import Notification
from socialflow.core import access


def inbox_q(prefix: str = "") -> Q:
    """In-app rows minus those whose actor and recipient block each other (per row: it serves
    the unread counts of many recipients at once)."""
    recipient, actor = OuterRef(f"{prefix}recipient_id"), OuterRef(f"{prefix}actor_id")
    blocked = Block.objects.filter(blocker_id=recipient, blocked_id=actor)
    blocking = Block.objects.filter(blocker_id=actor, blocked_id=recipient)
    return Q(**{f"{prefix}in_app": True}) & ~Q(Exists(blocked) | Exists(blocking))


class NotificationPolicy(access.Policy):
    def owner_id(self, obj) -> int | None:
        return obj.recipient_id

    def visible_q(self, viewer, prefix: str = "") -> Q:
        uid = access.viewer_id(viewer)
        if uid is None:
            return Q(pk__in=[])
        return Q(**{f"{prefix}recipient_id": uid}) & inbox_q(prefix)

    def can_view(self, viewer, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is None or obj.recipient_id != uid or not obj.in_app:
            return False
        return (
            obj.actor_id is None
            or not Block.objects.filter(
                Q(blocker_id=uid, blocked_id=obj.actor_id) | Q(blocker_id=obj.actor_id, blocked_id=uid)
            ).exists()
        )

    def can_act(self, viewer, action: str, obj) -> bool:
        # Reading, marking and deleting are the recipient's (can_view already requires them).
        return access.viewer_id(viewer) == obj.recipient_id


def register() -> None:
    access.register_policy("notification", NotificationPolicy(), model=Notification)

"""Writes for notifications. Plain functions, keyword-only arguments, one transaction each.

``notify`` and ``notify_followers`` are the contract other apps call from inside their own
transactions; everything else serves this app's API, tasks, Studio pages and admin.
"""

from notifications.services.devices import device_delete, device_register, devices_delete_gone, devices_mark_used
from notifications.services.fanout import (
    fan_out_chunk_run,
    fan_out_claim,
    fan_out_plan,
    fan_out_settle,
    fan_outs_requeue_stuck,
)
from notifications.services.notify import (
    follower_chunks,
    notification_fan_out_chunk,
    notify,
    notify_followers,
)
from notifications.services.outbox import (
    MAX_DELIVERY_ATTEMPTS,
    deliveries_requeue_stuck,
    deliveries_retry,
    deliveries_skip,
    delivery_claim,
    delivery_record,
    delivery_skip,
    digest_claim,
    digest_record,
)
from notifications.services.preferences import email_unsubscribe, preferences_update
from notifications.services.reading import (
    notification_delete,
    notifications_delete_for_target,
    notifications_delete_for_targets,
    notifications_mark_read,
    notifications_prune,
)

__all__ = [
    "MAX_DELIVERY_ATTEMPTS",
    "deliveries_requeue_stuck",
    "deliveries_retry",
    "deliveries_skip",
    "delivery_claim",
    "delivery_record",
    "delivery_skip",
    "device_delete",
    "device_register",
    "devices_delete_gone",
    "devices_mark_used",
    "digest_claim",
    "digest_record",
    "email_unsubscribe",
    "fan_out_chunk_run",
    "fan_out_claim",
    "fan_out_plan",
    "fan_out_settle",
    "fan_outs_requeue_stuck",
    "follower_chunks",
    "notification_delete",
    "notification_fan_out_chunk",
    "notifications_delete_for_target",
    "notifications_delete_for_targets",
    "notifications_mark_read",
    "notifications_prune",
    "notify",
    "notify_followers",
    "preferences_update",
]

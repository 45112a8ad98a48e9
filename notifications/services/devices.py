"""Push endpoints: Web Push subscriptions and FCM/APNs tokens."""

from django.db import transaction
from django.utils import timezone

from notifications.models import (
    PushDevice,
)


def device_register(*, user, platform: str, token: str, p256dh: str = "", auth: str = "", name: str = "") -> PushDevice:
    """Register (or refresh) a push endpoint. A token already registered by another account moves
    to this one: the device changed hands and must not receive the previous owner's pushes."""
    with transaction.atomic():
        device, _created = PushDevice.objects.update_or_create(
            platform=PushDevice.Platform(platform),
            token=token,
            defaults={"user": user, "p256dh": p256dh, "auth": auth, "name": name},
        )
    return device


def device_delete(*, device: PushDevice) -> None:
    with transaction.atomic():
        device.delete()


def devices_delete_gone(*, device_ids: list[int]) -> int:
    """Drop devices the push provider reported as expired (404/410)."""
    with transaction.atomic():
        deleted, _ = PushDevice.objects.filter(pk__in=device_ids).delete()
    return deleted


def devices_mark_used(*, device_ids: list[int]) -> None:
    PushDevice.objects.filter(pk__in=device_ids).update(last_used_at=timezone.now())

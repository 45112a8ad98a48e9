"""Sending what the outbox holds: one email, one push fan-out to a user's devices, a digest.

Each function claims its rows through a service (compare-and-swap, so two workers never send the
same row), sends, and records the outcome through a service. Called by Celery tasks only.
"""

import json
import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model

from notifications import emails, selectors, services, text
from notifications.lib import push
from notifications.models import Channel, Delivery, EmailMode, PushDevice

logger = logging.getLogger(__name__)


def deliver(*, delivery_id: int) -> Delivery | None:
    delivery = services.delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return None
    if delivery.channel == Channel.EMAIL:
        return _deliver_email(delivery)
    return _deliver_push(delivery)


def _deliver_email(delivery: Delivery) -> Delivery:
    notification = selectors.notification_list_by_ids(ids=[delivery.notification_id]).get()
    user = notification.recipient
    if not user.email or not user.is_active or user.deleted_at is not None:
        return services.delivery_skip(delivery=delivery, reason="recipient has no usable email address")
    # Preferences may have changed since the row was queued: the latest choice wins.
    wanted = selectors.channels_for(user_id=user.pk, kind=notification.kind).email
    if not wanted or selectors.email_mode_for(user_id=user.pk) == EmailMode.OFF:
        return services.delivery_skip(delivery=delivery, reason="email turned off by the recipient")
    try:
        emails.notification_email(notification).send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("notification email %s failed: %s", delivery.pk, exc)
        return services.delivery_record(delivery=delivery, ok=False, result=f"{type(exc).__name__}: {exc}", retry=True)
    return services.delivery_record(delivery=delivery, ok=True, result=f"sent to {user.email}")


# --- push -------------------------------------------------------------------------------------------


def vapid_config() -> push.VapidConfig | None:
    """From WEBPUSH_VAPID_PRIVATE_KEY (PEM, base64url DER or raw); None (push disabled) when unset."""
    if not settings.WEBPUSH_VAPID_PRIVATE_KEY:
        return None
    return push.VapidConfig(
        private_key=push.load_vapid_key(settings.WEBPUSH_VAPID_PRIVATE_KEY), subject=settings.WEBPUSH_VAPID_SUBJECT
    )


def vapid_public_key() -> str | None:
    """WEBPUSH_VAPID_PUBLIC_KEY, else derived from the private key; None when push is disabled."""
    config = vapid_config()
    if config is None:
        return None
    return settings.WEBPUSH_VAPID_PUBLIC_KEY or push.vapid_application_server_key(config.private_key)


def fcm_config() -> push.FcmConfig | None:
    if not settings.FCM_SERVICE_ACCOUNT:
        return None
    return push.FcmConfig.from_service_account(json.loads(settings.FCM_SERVICE_ACCOUNT))


def apns_config() -> push.ApnsConfig | None:
    if not (settings.APNS_KEY_ID and settings.APNS_TEAM_ID and settings.APNS_PRIVATE_KEY and settings.APNS_TOPIC):
        return None
    return push.ApnsConfig(
        key_id=settings.APNS_KEY_ID,
        team_id=settings.APNS_TEAM_ID,
        private_key=settings.APNS_PRIVATE_KEY,
        topic=settings.APNS_TOPIC,
        endpoint=settings.APNS_ENDPOINT,
    )


def push_disabled_reason(platform: str) -> str:
    return {
        PushDevice.Platform.WEBPUSH: "Web Push is disabled: set WEBPUSH_VAPID_PRIVATE_KEY (or WEBPUSH_VAPID_PRIVATE_KEY_FILE).",
        PushDevice.Platform.FCM: "FCM is disabled: set FCM_SERVICE_ACCOUNT (or FCM_SERVICE_ACCOUNT_FILE).",
        PushDevice.Platform.APNS: "APNs is disabled: set APNS_KEY_ID, APNS_TEAM_ID, APNS_PRIVATE_KEY and APNS_TOPIC.",
    }[platform]


def _send_to_device(device: PushDevice, *, payload: dict) -> push.PushResult:
    title, body, data = (
        "Social Flow",
        payload["text"],
        {"url": payload["url"], "id": payload["id"], "kind": payload["kind"]},
    )
    if device.platform == PushDevice.Platform.WEBPUSH:
        config = vapid_config()
        if config is None:
            return push.PushResult(ok=False, detail=push_disabled_reason(device.platform))
        return push.send_webpush(
            endpoint=device.token,
            p256dh=device.p256dh,
            auth=device.auth,
            payload={"title": title, **payload},
            vapid=config,
        )
    if device.platform == PushDevice.Platform.FCM:
        config = fcm_config()
        if config is None:
            return push.PushResult(ok=False, detail=push_disabled_reason(device.platform))
        return push.send_fcm(token=device.token, title=title, body=body, data=data, config=config)
    config = apns_config()
    if config is None:
        return push.PushResult(ok=False, detail=push_disabled_reason(device.platform))
    return push.send_apns(token=device.token, title=title, body=body, data=data, config=config)


def _deliver_push(delivery: Delivery) -> Delivery:
    notification = selectors.notification_list_by_ids(ids=[delivery.notification_id]).get()
    user_id = notification.recipient_id
    if not selectors.channels_for(user_id=user_id, kind=notification.kind).push:
        return services.delivery_skip(delivery=delivery, reason="push turned off by the recipient")
    devices = selectors.devices_for(user_id=user_id)
    if not devices:
        return services.delivery_skip(delivery=delivery, reason="no registered devices")
    payload = {
        "id": str(notification.pk),
        "kind": notification.kind,
        "text": text.sentence(notification),
        "url": text.link(notification),
        "unread_count": selectors.unread_count(user_id=user_id),
    }
    sent, gone, lines, transient = [], [], [], False
    for device in devices:
        result = _send_to_device(device, payload=payload)
        lines.append(
            f"{device.platform}#{device.pk}: {'ok' if result.ok else 'gone' if result.gone else 'failed'}"
            f"{f' {result.status}' if result.status else ''}{f' {result.detail}' if result.detail else ''}"
        )
        if result.ok:
            sent.append(device.pk)
        elif result.gone:
            gone.append(device.pk)
        elif result.status is None or result.status >= 500 or result.status == 429:
            transient = transient or "disabled" not in result.detail
    if gone:
        services.devices_delete_gone(device_ids=gone)
    if sent:
        services.devices_mark_used(device_ids=sent)
    return services.delivery_record(
        delivery=delivery, ok=bool(sent), result="\n".join(lines), retry=not sent and bool(transient)
    )


# --- digest -----------------------------------------------------------------------------------------


def send_digest(*, user_id: int) -> int:
    """Email one digest of the user's waiting notifications; returns how many it covered."""
    deliveries = services.digest_claim(user_id=user_id)
    if not deliveries:
        return 0
    ids = [d.pk for d in deliveries]
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email or not user.is_active or user.deleted_at is not None:
        services.deliveries_skip(delivery_ids=ids, reason="recipient has no usable email address")
        return 0
    if selectors.email_mode_for(user_id=user_id) == EmailMode.OFF:
        services.deliveries_skip(delivery_ids=ids, reason="email turned off by the recipient")
        return 0
    notifications = list(selectors.notification_list_by_ids(ids=[d.notification_id for d in deliveries]))
    # Already seen in the app, or the kind's email switched off since: not worth a line in the digest.
    preferences = selectors.preferences_for(user_id=user_id)
    keep = [n for n in notifications if n.read_at is None and preferences[n.kind].email]
    keep_ids = {n.pk for n in keep}
    skipped = [d.pk for d in deliveries if d.notification_id not in keep_ids]
    if skipped:
        services.deliveries_skip(delivery_ids=skipped, reason="read in the app or email turned off before the digest")
    if not keep:
        return 0
    sent_ids = [d.pk for d in deliveries if d.notification_id in keep_ids]
    try:
        emails.digest_email(user=user, notifications=keep).send()
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("digest for user %s failed: %s", user_id, exc)
        services.digest_record(user_id=user_id, delivery_ids=sent_ids, ok=False, result=f"{type(exc).__name__}: {exc}")
        return 0
    services.digest_record(user_id=user_id, delivery_ids=sent_ids, ok=True, result=f"digest sent to {user.email}")
    return len(keep)

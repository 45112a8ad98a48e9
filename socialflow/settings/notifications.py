"""Notifications: aggregation, Web Push / FCM / APNs, digests, retention."""

from datetime import timedelta

from celery.schedules import crontab

from socialflow.envtools import env, env_secret

from .base import CELERY_BEAT_SCHEDULE, SITE_URL

# Bursts of the same event on the same target (likes, reposts, follows) collapse into one row
# while the group is younger than this window.
NOTIFICATIONS_AGGREGATION_WINDOW = timedelta(hours=env.int("NOTIFICATIONS_AGGREGATION_HOURS", default=12))
NOTIFICATIONS_FANOUT_CHUNK = env.int("NOTIFICATIONS_FANOUT_CHUNK", default=500)
# Web Push (VAPID). Without the private key Web Push is disabled (devices can still register).
# Make one with `.venv/bin/vapid --gen` (py-vapid): WEBPUSH_VAPID_PRIVATE_KEY_FILE=private_key.pem.
# The public key browsers need is derived from it unless WEBPUSH_VAPID_PUBLIC_KEY is set.
WEBPUSH_VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_PRIVATE_KEY = env_secret("WEBPUSH_VAPID_PRIVATE_KEY")
WEBPUSH_VAPID_SUBJECT = env.str("WEBPUSH_VAPID_SUBJECT", default=f"{SITE_URL}/")
# FCM HTTP v1: the service-account JSON (or FCM_SERVICE_ACCOUNT_FILE). APNs: token-based auth.
FCM_SERVICE_ACCOUNT = env_secret("FCM_SERVICE_ACCOUNT")
APNS_KEY_ID = env.str("APNS_KEY_ID", default="")
APNS_TEAM_ID = env.str("APNS_TEAM_ID", default="")
APNS_PRIVATE_KEY = env_secret("APNS_PRIVATE_KEY")
APNS_TOPIC = env.str("APNS_TOPIC", default="")
APNS_ENDPOINT = env.str("APNS_ENDPOINT", default="https://api.push.apple.com")
CELERY_BEAT_SCHEDULE["notifications-daily-digest"] = {
    "task": "notifications.tasks.send_daily_digests",
    "schedule": crontab(hour=env.int("NOTIFICATIONS_DIGEST_HOUR_UTC", default=8), minute=0),
}
# A follower fan-out or chunk quiet for this long lost its message (a killed Redis's last writes,
# a killed worker, an outage): the re-drive, run as often, queues it again (re-runs tell nobody twice).
NOTIFICATIONS_FANOUT_REDRIVE_AFTER = timedelta(
    seconds=env.int("NOTIFICATIONS_FANOUT_REDRIVE_AFTER_SECONDS", default=30)
)
CELERY_BEAT_SCHEDULE["notifications-redrive-fan-outs"] = {
    "task": "notifications.tasks.redrive_fan_outs",
    "schedule": NOTIFICATIONS_FANOUT_REDRIVE_AFTER,
}
CELERY_BEAT_SCHEDULE["notifications-redrive-deliveries"] = {
    "task": "notifications.tasks.redrive_deliveries",
    "schedule": timedelta(minutes=5),
}
# Read notifications older than this are deleted (unread ones after twice as long).
NOTIFICATIONS_RETENTION = timedelta(days=env.int("NOTIFICATIONS_RETENTION_DAYS", default=180))
CELERY_BEAT_SCHEDULE["notifications-prune"] = {
    "task": "notifications.tasks.prune_notifications",
    "schedule": crontab(hour=3, minute=30),
}

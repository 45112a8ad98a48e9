"""Accounts: deletion purge, avatars, the social graph's follow limit."""

from datetime import timedelta

from socialflow.envtools import env

from .base import CELERY_BEAT_SCHEDULE

ACCOUNT_PURGE_AFTER = timedelta(days=env.int("ACCOUNT_PURGE_AFTER_DAYS", default=30))
ACCOUNT_AVATAR_MAX_BYTES = env.int("ACCOUNT_AVATAR_MAX_BYTES", default=5 * 1024 * 1024)
FOLLOW_RATE_LIMIT = (env.int("FOLLOW_RATE_LIMIT", default=400), env.int("FOLLOW_RATE_PERIOD_S", default=86400))
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True  # a reset request for an unknown address says so by email, not in the API
CELERY_BEAT_SCHEDULE["accounts-purge-deleted"] = {
    "task": "accounts.tasks.purge_deleted_accounts",
    "schedule": timedelta(hours=1),
}

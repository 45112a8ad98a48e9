"""Monetization: the earnings ledger (fees, hold period) and its periodic tasks."""

from datetime import timedelta

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from socialflow.envtools import env

from .base import CELERY_BEAT_SCHEDULE, SPECTACULAR_SETTINGS

# The platform's share of a payment to a creator, in basis points (1000 = 10 %).
MONETIZATION_PLATFORM_FEE_BPS = env.int("MONETIZATION_PLATFORM_FEE_BPS", default=1000)
if not 0 <= MONETIZATION_PLATFORM_FEE_BPS <= 10_000:
    raise ImproperlyConfigured("MONETIZATION_PLATFORM_FEE_BPS is basis points: 0 to 10000")
# Earnings stay pending this long (refunds and chargebacks arrive) before they may be paid out.
MONETIZATION_HOLD_DAYS = env.int("MONETIZATION_HOLD_DAYS", default=7)
if MONETIZATION_HOLD_DAYS < 0:
    raise ImproperlyConfigured("MONETIZATION_HOLD_DAYS cannot be negative")
CELERY_BEAT_SCHEDULE["monetization-release-matured"] = {
    "task": "monetization.tasks.release_matured_earnings",
    "schedule": timedelta(hours=1),
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "LedgerSourceEnum": "monetization.models.Source",
        "LedgerAccountEnum": "monetization.models.CREATOR_KIND_CHOICES",
        "QuotaResourceEnum": "socialflow.core.quotas.RESOURCES",
    }
)

# Tips (super chat): the currency, the smallest and largest tip, in minor units of that currency.
MONETIZATION_CURRENCY = env.str("MONETIZATION_CURRENCY", default="USD").upper()
# What Stripe charges the platform for a dispute (chargeback) on a charge, in the tip's currency's
# minor units; returned when the dispute is won. The platform bears it, not the creator.
MONETIZATION_DISPUTE_FEE_MINOR = env.int("MONETIZATION_DISPUTE_FEE_MINOR", default=1500)
MONETIZATION_TIP_MIN_MINOR = env.int("MONETIZATION_TIP_MIN_MINOR", default=100)
MONETIZATION_TIP_MAX_MINOR = env.int("MONETIZATION_TIP_MAX_MINOR", default=50_000)
if not 0 < MONETIZATION_TIP_MIN_MINOR <= MONETIZATION_TIP_MAX_MINOR:
    raise ImproperlyConfigured("MONETIZATION_TIP_MIN_MINOR must be positive and at most MONETIZATION_TIP_MAX_MINOR")
# What the card processor keeps of each payment: a rate (basis points) plus a fixed amount (minor
# units of the payment's currency). Shown per payment; the creator's share is net of it.
MONETIZATION_PROCESSING_FEE_BPS = env.int("MONETIZATION_PROCESSING_FEE_BPS", default=290)
MONETIZATION_PROCESSING_FEE_FIXED_MINOR = env.int("MONETIZATION_PROCESSING_FEE_FIXED_MINOR", default=30)
if not 0 <= MONETIZATION_PROCESSING_FEE_BPS <= 10_000 or MONETIZATION_PROCESSING_FEE_FIXED_MINOR < 0:
    raise ImproperlyConfigured("MONETIZATION_PROCESSING_FEE_BPS is 0..10000, the fixed fee not negative")

# Payouts: the smallest payout (minor units of MONETIZATION_CURRENCY) and the Connect account country.
MONETIZATION_PAYOUT_MIN_MINOR = env.int("MONETIZATION_PAYOUT_MIN_MINOR", default=1000)
if MONETIZATION_PAYOUT_MIN_MINOR <= 0:
    raise ImproperlyConfigured("MONETIZATION_PAYOUT_MIN_MINOR must be positive")
MONETIZATION_CONNECT_COUNTRY = env.str("MONETIZATION_CONNECT_COUNTRY", default="US")

# Membership tiers: the price range of a monthly tier (minor units of MONETIZATION_CURRENCY).
MONETIZATION_TIER_MIN_MINOR = env.int("MONETIZATION_TIER_MIN_MINOR", default=100)
MONETIZATION_TIER_MAX_MINOR = env.int("MONETIZATION_TIER_MAX_MINOR", default=100_000)

# Creator plans (monetization/plans/catalogue.py): days of trial on a creator's first paid plan.
# Whether socialflow.core.quotas refuses uploads and streams beyond the plan (off: quotas are shown only).
CREATOR_QUOTAS_ENFORCED = env.bool("CREATOR_QUOTAS_ENFORCED", default=True)
MONETIZATION_PLAN_TRIAL_DAYS = env.int("MONETIZATION_PLAN_TRIAL_DAYS", default=14)
if MONETIZATION_PLAN_TRIAL_DAYS < 0:
    raise ImproperlyConfigured("MONETIZATION_PLAN_TRIAL_DAYS cannot be negative")

# Balance checkpoints: an account with this many entries since its last checkpoint gets a new one
# (hourly), covering entries older than the lag (no transaction still in flight lands below it).
MONETIZATION_CHECKPOINT_EVERY = env.int("MONETIZATION_CHECKPOINT_EVERY", default=10_000)
MONETIZATION_CHECKPOINT_LAG_S = env.int("MONETIZATION_CHECKPOINT_LAG_S", default=300)
CELERY_BEAT_SCHEDULE["monetization-checkpoint-balances"] = {
    "task": "monetization.tasks.checkpoint_balances",
    "schedule": timedelta(hours=1),
}

# Revenue share: each video's ad revenue for a day goes to its creator at this share (basis points,
# 5500 = 55 %), of which monetize claimants take their matched fraction; the platform keeps the rest.
# The daily job shares out the last MONETIZATION_REVENUE_SHARE_DAYS whole UTC days (a missed run
# is caught up; a shared day is never shared again).
MONETIZATION_AD_CREATOR_SHARE_BPS = env.int("MONETIZATION_AD_CREATOR_SHARE_BPS", default=5500)
if not 0 <= MONETIZATION_AD_CREATOR_SHARE_BPS <= 10_000:
    raise ImproperlyConfigured("MONETIZATION_AD_CREATOR_SHARE_BPS is basis points: 0 to 10000")
MONETIZATION_REVENUE_SHARE_DAYS = env.int("MONETIZATION_REVENUE_SHARE_DAYS", default=3)
if MONETIZATION_REVENUE_SHARE_DAYS < 1:
    raise ImproperlyConfigured("MONETIZATION_REVENUE_SHARE_DAYS must be at least 1")
CELERY_BEAT_SCHEDULE["monetization-revenue-share"] = {
    "task": "monetization.tasks.allocate_revenue_shares",
    "schedule": crontab(hour=1, minute=30),  # daily, after the UTC day's ad revenue is in
}

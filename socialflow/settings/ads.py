"""Ads: the auction's reserve price, how long a served decision takes events, the default daily
frequency cap and the bounds of a campaign's budget and bid."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from socialflow.envtools import env

from .base import CELERY_BEAT_SCHEDULE, SPECTACULAR_SETTINGS

# The lowest CPM (minor units of the campaign's currency per 1,000 impressions) an ad clears at;
# bids below it never win, a lone bidder pays it.
ADS_RESERVE_CPM_MINOR = env.int("ADS_RESERVE_CPM_MINOR", default=100)
# Events of a decision are accepted for this long after it was served.
ADS_DECISION_TTL_S = env.int("ADS_DECISION_TTL_S", default=3600)
# Impressions of one campaign per viewer per UTC day unless the campaign says otherwise.
ADS_FREQUENCY_CAP_DEFAULT = env.int("ADS_FREQUENCY_CAP_DEFAULT", default=3)
ADS_BUDGET_MIN_MINOR = env.int("ADS_BUDGET_MIN_MINOR", default=1000)
ADS_BUDGET_MAX_MINOR = env.int("ADS_BUDGET_MAX_MINOR", default=100_000_000)
ADS_BID_MAX_CPM_MINOR = env.int("ADS_BID_MAX_CPM_MINOR", default=100_000)
# Advertisers' card top-ups of their prepaid balance (minor units).
ADS_TOP_UP_MIN_MINOR = env.int("ADS_TOP_UP_MIN_MINOR", default=1000)
ADS_TOP_UP_MAX_MINOR = env.int("ADS_TOP_UP_MAX_MINOR", default=1_000_000)
# How often campaigns' accrued spend is posted to the ledger (and ended campaigns' rest released).
ADS_BILLING_INTERVAL_S = env.int("ADS_BILLING_INTERVAL_S", default=600)
if not 0 < ADS_TOP_UP_MIN_MINOR <= ADS_TOP_UP_MAX_MINOR or ADS_BILLING_INTERVAL_S <= 0:
    raise ImproperlyConfigured(
        "ADS_TOP_UP_MIN_MINOR <= ADS_TOP_UP_MAX_MINOR, both positive; ADS_BILLING_INTERVAL_S > 0"
    )
if ADS_RESERVE_CPM_MINOR <= 0 or ADS_DECISION_TTL_S <= 0 or ADS_FREQUENCY_CAP_DEFAULT <= 0:
    raise ImproperlyConfigured("ADS_RESERVE_CPM_MINOR, ADS_DECISION_TTL_S and ADS_FREQUENCY_CAP_DEFAULT are positive")
if not 0 < ADS_BUDGET_MIN_MINOR <= ADS_BUDGET_MAX_MINOR or ADS_BID_MAX_CPM_MINOR < ADS_RESERVE_CPM_MINOR:
    raise ImproperlyConfigured("ADS budget bounds must be ordered and the bid cap at least the reserve price")

CELERY_BEAT_SCHEDULE["ads-post-spend"] = {
    "task": "monetization.tasks.post_ad_spend",
    "schedule": timedelta(seconds=ADS_BILLING_INTERVAL_S),
}

SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "AdEventTypeEnum": "monetization.ads.models.AdEvent.Type",
        "AdCampaignStatusEnum": "monetization.ads.models.Campaign.Status",
        "AdDeviceEnum": "monetization.ads.models.Device",
        "AdTopUpStatusEnum": "monetization.ads.models.AdTopUp.Status",
        "AdRefundOriginEnum": "monetization.ads.models.AdRefund.Origin",
        "AdRefundPartStatusEnum": "monetization.ads.models.AdRefundPart.Status",
        # posts' ``type`` keeps its name now that ads' events have a ``type`` too
        "TypeEnum": ["post", "repost"],
    }
)

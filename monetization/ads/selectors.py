"""Reads of ads: an advertiser's campaigns, the campaigns that may bid now, how often a viewer saw
each today, and the per-video ad revenue the revenue-share job pays out."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Count, F, Q, QuerySet, Sum

from monetization.ads.models import MICROS, AdDecision, AdRefund, AdRevenueDay, AdTopUp, Campaign
from monetization.models import ADVERTISER_KINDS, AccountKind, Entry, Source
from socialflow.core.exceptions import NotFound
from socialflow.core.money import Money

MAX_ID = 2**63 - 1


def campaigns_for(*, advertiser) -> QuerySet:
    return Campaign.objects.filter(advertiser=advertiser).select_related("creative")


def campaign_get_own(*, campaign_id, advertiser) -> Campaign:
    """The caller's campaign, else ``NotFound`` (another advertiser's is not told apart from none)."""
    try:
        pk = int(campaign_id)
        if not 0 < pk <= MAX_ID:  # beyond a bigint: no row of ours (and the driver would overflow)
            raise ValueError(pk)
        return campaigns_for(advertiser=advertiser).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such campaign.") from exc


def campaigns_serving(*, now: datetime, currency: str) -> list[Campaign]:
    """Approved, not paused, inside their schedule, budget left, creative ready and not moderated."""
    return list(
        Campaign.objects.filter(
            status=Campaign.Status.APPROVED,
            paused=False,
            currency=currency,
            starts_at__lte=now,
            ends_at__gt=now,
            spent_micros__lt=F("budget_minor") * MICROS,
            creative__status="ready",
            creative__moderation_status="visible",
        ).order_by("id")
    )


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC day (frequency caps and revenue rows count UTC days)."""
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def served_today(*, campaign_ids: list[int], viewer_key: str, now: datetime) -> dict[int, int]:
    """How many decisions of each campaign this viewer was served since the UTC day began."""
    start = day_start(now)
    rows = (
        AdDecision.objects.filter(campaign_id__in=campaign_ids, viewer_key=viewer_key, created_at__gte=start)
        .values("campaign_id")
        .annotate(n=Count("id"))
    )
    return {row["campaign_id"]: row["n"] for row in rows}


def decision_get(*, decision_id) -> AdDecision:
    try:
        return AdDecision.objects.select_related("video").get(pk=decision_id)
    except (AdDecision.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such ad decision.") from exc


@dataclass(frozen=True)
class VideoAdRevenue:
    video_id: int
    creator_id: int
    impressions: int
    charged_micros: int
    currency: str

    @property
    def amount(self) -> Money:
        """Whole minor units (rounded down); the fractions of a unit stay with the platform."""
        return Money(self.charged_micros // MICROS, self.currency)


def ad_revenue_by_video(*, start: date, end: date) -> list[VideoAdRevenue]:
    """What advertisers were charged for impressions before each video on UTC days ``start`` to
    ``end`` (both included), per video and currency, in video id order."""
    rows = (
        AdRevenueDay.objects.filter(day__gte=start, day__lte=end)
        .values("video_id", "creator_id", "currency")
        .annotate(impressions=Sum("impressions"), charged=Sum("charged_micros"))
        .order_by("video_id", "currency")
    )
    return [
        VideoAdRevenue(row["video_id"], row["creator_id"], row["impressions"], row["charged"], row["currency"])
        for row in rows
    ]


# --- advertiser billing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvertiserBalance:
    available: Money  # prepaid, not reserved: what new budgets can be funded from
    reserved: Money  # held for campaigns' budgets, not billed yet
    spent: Money  # billed spend, all time


def advertiser_balance(*, advertiser, currency: str) -> AdvertiserBalance:
    """The advertiser's prepaid balance in ``currency``, from the ledger (one query)."""
    reserved_q = Q(account__kind=AccountKind.ADVERTISER_RESERVED)
    sums = Entry.objects.filter(
        account__owner=advertiser, account__kind__in=ADVERTISER_KINDS, currency=currency
    ).aggregate(
        available=Sum("amount_minor", filter=Q(account__kind=AccountKind.ADVERTISER_PREPAID)),
        reserved=Sum("amount_minor", filter=reserved_q),
        spent=Sum("amount_minor", filter=reserved_q & Q(transaction__source=Source.AD_SPEND)),
    )
    return AdvertiserBalance(
        available=Money(sums["available"] or 0, currency),
        reserved=Money(sums["reserved"] or 0, currency),
        spent=Money(-(sums["spent"] or 0), currency),
    )


def top_ups_for(*, advertiser) -> QuerySet:
    """The advertiser's top-ups, newest first (cursor-paged by the API)."""
    return AdTopUp.objects.filter(advertiser=advertiser).order_by("-created_at", "-id")


def top_ups_refundable(*, advertiser, currency: str) -> QuerySet:
    """Paid top-ups with something left to refund, newest first: the order a balance refund takes
    them in (the most recent payment is the likeliest still refundable to its card)."""
    return AdTopUp.objects.filter(
        advertiser=advertiser, currency=currency, status=AdTopUp.Status.PAID, refunded_minor__lt=F("amount_minor")
    ).order_by("-paid_at", "-id")


def advertiser_refundable(*, advertiser, currency: str, balance: AdvertiserBalance | None = None) -> Money:
    """What a balance refund may give back now: the available prepaid balance, at most what the paid
    top-ups have left to refund. Campaigns that may still spend hold their whole budget (less billed
    spend) in ``reserved``, not in ``available``, so it is never refundable while they run; an ended
    campaign's unspent rest becomes refundable when the billing job releases it (docs/ads.md)."""
    balance = balance or advertiser_balance(advertiser=advertiser, currency=currency)
    left = top_ups_refundable(advertiser=advertiser, currency=currency).aggregate(
        left=Sum(F("amount_minor") - F("refunded_minor"))
    )["left"]
    return Money(max(0, min(balance.available.amount_minor, left or 0)), currency)


def refunds_for(*, advertiser) -> QuerySet:
    """The advertiser's balance refunds with their parts, newest first (cursor-paged by the API)."""
    return AdRefund.objects.filter(advertiser=advertiser).prefetch_related("parts").order_by("-created_at", "-id")


def campaigns_to_bill(*, ended_before: datetime) -> list[int]:
    """Campaigns with a whole minor unit of spend not billed yet (and something reserved to bill it
    from), or closed (rejected, or ended before ``ended_before``) and holding more than their spend."""
    unbilled = Q(spent_micros__gte=(F("billed_minor") + 1) * MICROS, funded_minor__gt=F("billed_minor"))
    closed = Q(status=Campaign.Status.REJECTED) | Q(ends_at__lte=ended_before)
    # funded > spent // MICROS, in integers: funded × MICROS > spent
    overfunded = Q(spent_micros__lt=F("funded_minor") * MICROS)
    return list(Campaign.objects.filter(unbilled | (closed & overfunded)).order_by("id").values_list("id", flat=True))

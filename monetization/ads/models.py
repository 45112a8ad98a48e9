"""Ad campaigns, serving decisions, their events and the per-video revenue they produce.

Money is integer: budgets and bids in minor units of the campaign's currency, spend in micro-units
(millionths of a minor unit), so a CPM price charged per impression (``cpm / 1000``) is exact and
spend never exceeds ``budget_minor * MICROS``. Imported by ``monetization.models``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from monetization.models import Account  # defined before monetization.models imports this module
from socialflow.core.money import Money

MICROS = 1_000_000  # micro-units per minor unit
IMPRESSIONS_PER_CPM = 1000


class Device(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"


class Campaign(models.Model):
    """An advertiser's campaign: a ready video of theirs shown before others' videos to the viewers
    it targets, between ``starts_at`` and ``ends_at``, at most ``budget_minor`` in all."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ad_campaigns")
    name = models.CharField(max_length=100)
    creative = models.ForeignKey("videos.Video", on_delete=models.PROTECT, related_name="ad_campaigns")
    click_url = models.URLField(max_length=500, blank=True)
    currency = models.CharField(max_length=3)
    budget_minor = models.BigIntegerField()
    bid_cpm_minor = models.BigIntegerField()
    spent_micros = models.BigIntegerField(default=0)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    paused = models.BooleanField(default=False)
    # Targeting: an empty list (or no age bound) matches everyone.
    target_tags = models.JSONField(default=list, blank=True)
    target_countries = models.JSONField(default=list, blank=True)
    target_devices = models.JSONField(default=list, blank=True)
    target_age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    target_age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    frequency_cap = models.PositiveSmallIntegerField(default=3, help_text="Impressions per viewer per day.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    review_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Billing (monetization/ads/billing.py): what of the advertiser's prepaid balance this campaign
    # holds in reserve (its budget while it may still spend), the whole minor units of its spend
    # posted to the platform so far, and a counter keying each change of the reservation.
    funded_minor = models.BigIntegerField(default=0)
    billed_minor = models.BigIntegerField(default=0)
    funding_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["advertiser", "-created_at", "-id"], name="ads_campaign_advertiser"),
            models.Index(fields=["status", "ends_at"], name="ads_campaign_serving"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(budget_minor__gt=0), name="ads_campaign_budget_positive"),
            models.CheckConstraint(condition=Q(bid_cpm_minor__gt=0), name="ads_campaign_bid_positive"),
            models.CheckConstraint(
                condition=Q(spent_micros__gte=0) & Q(spent_micros__lte=models.F("budget_minor") * MICROS),
                name="ads_campaign_spend_within_budget",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="ads_campaign_schedule"),
            models.CheckConstraint(
                condition=Q(billed_minor__gte=0) & Q(billed_minor__lte=models.F("funded_minor")),
                name="ads_campaign_billed_within_funded",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.pk})"

    @property
    def budget_micros(self) -> int:
        return self.budget_minor * MICROS

    @property
    def remaining_micros(self) -> int:
        return self.budget_micros - self.spent_micros

    @property
    def budget(self) -> Money:
        return Money(self.budget_minor, self.currency)

    @property
    def bid_cpm(self) -> Money:
        return Money(self.bid_cpm_minor, self.currency)

    @property
    def spent(self) -> Money:
        """Spend so far, rounded down to whole minor units (the micro-units are exact)."""
        return Money(self.spent_micros // MICROS, self.currency)


class AdDecision(models.Model):
    """One ad served: the auction's winner for one viewer before one video, at the clearing price.
    Its random id is what the player sends back with events (unguessable: possession proves it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="decisions")
    video = models.ForeignKey("videos.Video", null=True, on_delete=models.SET_NULL, related_name="+")
    viewer_key = models.CharField(max_length=80)
    price_cpm_minor = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["campaign", "viewer_key", "created_at"], name="ads_decision_frequency")]

    def __str__(self):
        return f"decision {self.pk} of campaign {self.campaign_id}"

    @property
    def price_per_impression_micros(self) -> int:
        return self.price_cpm_minor * MICROS // IMPRESSIONS_PER_CPM


class AdEvent(models.Model):
    """An impression, click or completion of a decision: one of each type per decision."""

    class Type(models.TextChoices):
        IMPRESSION = "impression", "Impression"
        CLICK = "click", "Click"
        COMPLETE = "complete", "Completed"

    decision = models.ForeignKey(AdDecision, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=12, choices=Type.choices)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")
    charged_micros = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["campaign", "type"], name="ads_event_campaign_type")]
        constraints = [
            models.UniqueConstraint(fields=["decision", "type"], name="ads_event_once_per_type"),
            models.CheckConstraint(condition=Q(charged_micros__gte=0), name="ads_event_charge_not_negative"),
        ]

    def __str__(self):
        return f"{self.type} of {self.decision_id}"


class AdRevenueDay(models.Model):
    """What impressions before one video charged advertisers on one UTC day, per currency: the
    revenue-share job reads it (``monetization.selectors.ad_revenue_by_video``)."""

    video = models.ForeignKey("videos.Video", on_delete=models.PROTECT, related_name="+")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    impressions = models.PositiveIntegerField(default=0)
    charged_micros = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "day", "currency"], name="ads_revenue_day_once")]
        indexes = [models.Index(fields=["day"], name="ads_revenue_day")]

    def __str__(self):
        return f"video {self.video_id} on {self.day}: {self.charged_micros} micro-{self.currency}"


# --- advertiser billing (monetization/ads/billing.py) ----------------------------------------------


class AdTopUp(models.Model):
    """An advertiser's card payment into their prepaid balance (a PaymentIntent); the
    ``payment_intent.succeeded`` webhook credits the ledger once and marks it paid."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"

    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ad_top_ups")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    client_secret = models.CharField(max_length=255, blank=True)
    # Refunded to the card so far (the advertiser's balance refunds, or Stripe's dashboard).
    refunded_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["advertiser", "-created_at", "-id"], name="ads_topup_advertiser")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="ads_topup_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=models.F("amount_minor")),
                name="ads_topup_refund_within_amount",
            ),
        ]

    def __str__(self):
        return f"top-up {self.pk}: {self.amount_minor} {self.currency} by {self.advertiser_id}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor if self.status == self.Status.PAID else 0


class AdRefund(models.Model):
    """Unused prepaid balance given back: refunded to the cards of the advertiser's paid top-ups,
    newest first (``AdRefundPart``, one Stripe refund each), and posted out of the prepaid account.
    Asked for through the API, or seen in a ``charge.refunded`` webhook when someone refunded a
    top-up on Stripe's dashboard."""

    class Origin(models.TextChoices):
        ADVERTISER = "advertiser", "Asked for by the advertiser"
        STRIPE = "stripe", "Made on Stripe (outside the app)"

    advertiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ad_refunds")
    requested_minor = models.BigIntegerField()
    # What the card processor accepted (less than asked only when it refused a top-up's refund).
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ADVERTISER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["advertiser", "-created_at", "-id"], name="ads_refund_advertiser")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0) & Q(amount_minor__lte=models.F("requested_minor")),
                name="ads_refund_amount_within_requested",
            )
        ]

    def __str__(self):
        return f"refund {self.pk}: {self.amount_minor} {self.currency} to {self.advertiser_id}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def requested(self) -> Money:
        return Money(self.requested_minor, self.currency)


class AdRefundPart(models.Model):
    """The part of a refund taken from one top-up's payment: one Stripe refund, or the top-up
    Stripe refused to refund (then nothing was taken from it)."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Refunded"
        REFUSED = "refused", "Refused by the card processor"

    refund = models.ForeignKey(AdRefund, on_delete=models.PROTECT, related_name="parts")
    top_up = models.ForeignKey(AdTopUp, on_delete=models.PROTECT, related_name="refund_parts")
    amount_minor = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="ads_refund_part_positive")]

    def __str__(self):
        return f"{self.amount_minor} of top-up {self.top_up_id} ({self.status})"


class AdvertiserAccount(Account):
    """The advertisers' ledger accounts (prepaid, reserved), for finance staff's admin page."""

    class Meta:
        proxy = True
        verbose_name = "advertiser balance"

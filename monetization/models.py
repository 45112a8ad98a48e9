"""The earnings ledger: append-only double-entry bookkeeping in integer minor units.

An ``Account`` holds money for someone (a creator's pending or available earnings) or for the
platform (its revenue, its fees, what Stripe owes or holds, payouts on their way). A
``Transaction`` moves money between accounts as ``Entry`` rows whose signed amounts add up to zero
in each currency: positive is money the account holds, the side the money came from goes negative,
so the sum of every account's balance is always zero. Balances are sums of entries (see
``monetization.selectors``): there is no balance column to drift.

Transactions and entries are never changed or removed through the ORM; a mistake is corrected by
posting a reversing transaction. Everything is written by ``monetization.services.ledger_post``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from socialflow.core.money import Money

APPEND_ONLY = "the ledger is append-only: post a reversing transaction instead"


class AccountKind(models.TextChoices):
    CREATOR_PENDING = "creator_pending", "Creator, pending (inside the hold period)"
    CREATOR_AVAILABLE = "creator_available", "Creator, available (may be paid out)"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    PLATFORM_FEES = "platform_fees", "Platform fees"
    STRIPE_CLEARING = "stripe_clearing", "Stripe clearing"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"
    ADVERTISER_PREPAID = "advertiser_prepaid", "Advertiser, prepaid (may fund campaigns)"
    ADVERTISER_RESERVED = "advertiser_reserved", "Advertiser, reserved for campaign budgets"


CREATOR_KINDS = (AccountKind.CREATOR_PENDING, AccountKind.CREATOR_AVAILABLE)
CREATOR_KIND_CHOICES = [(kind.value, kind.label) for kind in CREATOR_KINDS]
ADVERTISER_KINDS = (AccountKind.ADVERTISER_PREPAID, AccountKind.ADVERTISER_RESERVED)
OWNED_KINDS = CREATOR_KINDS + ADVERTISER_KINDS  # the kinds with an owner; platform kinds have none


class Source(models.TextChoices):
    AD_REVENUE = "ad_revenue", "Ad revenue"
    MEMBERSHIP = "membership", "Membership"
    TIP = "tip", "Tip"
    REVENUE_SHARE = "revenue_share", "Revenue share"
    COPYRIGHT_SHARE = "copyright_share", "Copyright share"
    PAYOUT = "payout", "Payout"
    REFUND = "refund", "Refund"
    CHARGEBACK = "chargeback", "Chargeback"
    FEE = "fee", "Fee"
    # A creator's plan (their subscription to Social Flow): the platform's revenue.
    PLAN = "plan", "Creator plan"
    # Internal: a creator's matured pending earnings moving to available (not an earning).
    HOLD_RELEASE = "hold_release", "Hold period ended"
    # Advertisers (monetization/ads/billing.py): a card top-up, a budget reserved or released, spend.
    AD_TOP_UP = "ad_top_up", "Advertiser top-up"
    AD_BUDGET = "ad_budget", "Ad budget reserved or released"
    AD_SPEND = "ad_spend", "Ad spend"


class Account(models.Model):
    """Whose money, of which kind, in which currency. Creator and advertiser kinds have an owner,
    platform kinds none; one account per (owner, kind, currency)."""

    owner = models.ForeignKey(
        # Protected: a purged creator is anonymised, their ledger stays.
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "currency"],
                condition=Q(owner__isnull=False),
                name="monetization_account_owner_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(owner__isnull=True),
                name="monetization_account_platform_once",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OWNED_KINDS, owner__isnull=False)
                | (~Q(kind__in=OWNED_KINDS) & Q(owner__isnull=True)),
                name="monetization_account_owner_iff_creator_kind",
            ),
        ]

    def __str__(self):
        whose = f"user {self.owner_id}" if self.owner_id else "platform"
        return f"{self.kind} {self.currency} ({whose})"

    def delete(self, *args, **kwargs):
        raise TypeError(APPEND_ONLY)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(APPEND_ONLY)

    def delete(self):
        raise TypeError(APPEND_ONLY)


class Transaction(models.Model):
    """One posting: entries that add up to zero per currency, under a unique idempotency key (the
    same business event posted twice is one transaction)."""

    source = models.CharField(max_length=32, choices=Source.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    memo = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["source", "-created_at"], name="monetization_tx_source")]

    def __str__(self):
        return f"{self.source} {self.idempotency_key}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(APPEND_ONLY)


class Entry(models.Model):
    """One signed amount on one account. ``created_at`` repeats the transaction's, so balances as
    of a time (the hold period) and the earnings list read one table."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="monetization_entry_account"),
            # A balance read past a checkpoint: the account's entries after an id.
            models.Index(fields=["account", "id"], name="monetization_entry_account_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="monetization_entry_not_zero"),
        ]

    def __str__(self):
        return f"{self.money} on {self.account_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(APPEND_ONLY)

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)


# --- tips (super chat) ----------------------------------------------------------------------------


class Tip(models.Model):
    """A fan's payment to a creator (a PaymentIntent), optionally during a live stream, where it is
    shown highlighted in the chat once paid. Fees are fixed when the tip is created and shown to
    the fan; ``refunded_minor`` is what refunds have taken back so far (never above the amount)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed by the fan's bank"
        CHARGED_BACK = "charged_back", "Charged back (dispute lost)"

    fan = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="tips_sent")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tips_received")
    stream = models.ForeignKey("live.Stream", null=True, blank=True, on_delete=models.SET_NULL, related_name="tips")
    message = models.CharField(max_length=200, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    processing_fee_minor = models.BigIntegerField()
    platform_fee_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    client_secret = models.CharField(max_length=255, blank=True)
    chat_message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["creator", "-created_at"], name="monetization_tip_creator")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="monetization_tip_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=models.F("amount_minor")),
                name="monetization_tip_refund_within_amount",
            ),
        ]

    def __str__(self):
        return f"tip {self.pk}: {self.amount} to {self.creator_id}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def net_minor(self) -> int:
        """What the creator keeps of the whole amount: less processing and the platform's fee."""
        return self.amount_minor - self.processing_fee_minor - self.platform_fee_minor

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class TipRefund(models.Model):
    """One refund of a tip (partial or the rest), by finance staff or made on Stripe's dashboard."""

    tip = models.ForeignKey(Tip, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="monetization_tiprefund_positive")]

    def __str__(self):
        return f"refund {self.pk} of tip {self.tip_id}: {self.amount_minor}"


class Dispute(models.Model):
    """A chargeback: the payer's bank disputes the charge of a tip or of a membership payment.
    Stripe takes the disputed amount and its dispute fee from the platform's balance when the
    dispute opens, so the ledger takes them back then (from the creator and the platform's fee, in
    the shares a refund would); a dispute won gives them back, a lost one keeps them taken."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    tip = models.ForeignKey(Tip, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes")
    membership_payment = models.ForeignKey(
        "MembershipPayment", null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="monetization_tipdispute_positive"),
            models.CheckConstraint(condition=Q(fee_minor__gte=0), name="monetization_tipdispute_fee"),
            models.CheckConstraint(
                condition=Q(tip__isnull=False, membership_payment__isnull=True)
                | Q(tip__isnull=True, membership_payment__isnull=False),
                name="monetization_dispute_one_payment",
            ),
        ]

    def __str__(self):
        return f"dispute {self.stripe_dispute_id} of {self.payment}: {self.status}"

    @property
    def payment(self):
        """The disputed tip or membership payment."""
        return self.tip if self.tip_id else self.membership_payment


# --- Stripe Connect (Express) and payouts ---------------------------------------------------------


class ConnectAccount(models.Model):
    """A creator's Stripe Connect Express account; payouts need ``payouts_enabled`` (set from the
    ``account.updated`` webhook once onboarding is finished)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connect_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.stripe_account_id} ({self.user_id})"


class Payout(models.Model):
    """A creator's request to be paid part of their available balance: a Stripe Transfer to their
    Connect account. The ledger moves the amount to ``payouts_in_transit`` when requested, out to
    Stripe when the transfer is made, and back to the creator if it fails."""

    class Status(models.TextChoices):
        PENDING = "pending", "Requested"
        SENT = "sent", "Sent to your Stripe account"
        FAILED = "failed", "Failed (returned to your balance)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_transfer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="monetization_payout_user")]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="monetization_payout_positive")]

    def __str__(self):
        return f"payout {self.pk}: {self.amount_minor} {self.currency} to {self.user_id}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


# --- memberships ----------------------------------------------------------------------------------


class MembershipTier(models.Model):
    """A creator's membership level: a monthly price (a Stripe Price) and its perks."""

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="membership_tiers")
    name = models.CharField(max_length=100)
    perks = models.TextField(max_length=2000, blank=True)
    price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    stripe_price_id = models.CharField(max_length=255, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["price_minor", "id"]
        constraints = [models.CheckConstraint(condition=Q(price_minor__gt=0), name="monetization_tier_positive")]

    def __str__(self):
        return f"{self.name} ({self.creator_id})"

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)


class Membership(models.Model):
    """A fan's subscription to a creator's tier; its status follows Stripe's subscription webhooks.
    Active and past due (Stripe is retrying the payment) count as members for the access layer."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"

    MEMBER_STATUSES = (Status.ACTIVE, Status.PAST_DUE)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="members")
    tier = models.ForeignKey(MembershipTier, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    # When Stripe made the state stored (the event's creation): an older event is a late delivery.
    state_at = models.DateTimeField(null=True, blank=True)
    # A second subscription to a creator the fan was already a member of (two Checkout pages paid
    # at once): canceled on Stripe and its payments refunded (``services.membership_settle_duplicate``).
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status", "creator"], name="monetization_membership_user")]

    def __str__(self):
        return f"{self.user_id} → {self.creator_id} ({self.status})"


class MembershipPayment(models.Model):
    """One paid invoice of a membership (the first payment or a renewal), credited to the creator
    less the platform's fee. Like a tip it can be refunded (on Stripe's dashboard, or when it paid
    for a duplicate subscription) and disputed; ``refunded_minor`` is what refunds took back."""

    Status = Tip.Status  # paid, partially refunded, refunded, disputed, charged back

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="payments")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="membership_payments_received"
    )
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    platform_fee_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Tip.Status.choices, default=Tip.Status.PAID)
    paid_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="monetization_mpayment_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=models.F("amount_minor")),
                name="monetization_mpayment_refund_within_amount",
            ),
        ]

    def __str__(self):
        return f"membership payment {self.stripe_invoice_id}: {self.amount_minor} {self.currency}"

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class BalanceCheckpoint(models.Model):
    """The sum of an account's entries up to ``through_entry_id``, so a balance read adds only the
    entries after it (``selectors.account_balance``). Append-only like the ledger: a newer
    checkpoint is a new row; written by ``services.ledger_checkpoint`` for entries older than
    ``MONETIZATION_CHECKPOINT_LAG_S``, so no transaction still in flight can land below it."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="checkpoints")
    through_entry_id = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "through_entry_id"], name="monetization_checkpoint_once")
        ]
        indexes = [models.Index(fields=["account", "-through_entry_id"], name="monetization_checkpoint_last")]

    def __str__(self):
        return f"{self.total_minor} on {self.account_id} through entry {self.through_entry_id}"


class RevenueShare(models.Model):
    """One video's ad revenue for one period, shared out once (``services.revenue_share_allocate``):
    the row and its ledger postings are written in one database transaction, and the unique
    constraint makes a re-run (or a concurrent run) of the same period skip the video."""

    video_id = models.BigIntegerField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    currency = models.CharField(max_length=3)
    gross_minor = models.BigIntegerField()
    creators_minor = models.BigIntegerField(help_text="What the uploader and the claimants received together.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["video_id", "period_start", "period_end"], name="revenue_share_once"),
        ]
        indexes = [models.Index(fields=["period_start", "period_end"])]

    def __str__(self) -> str:
        return f"Video {self.video_id}, {self.period_start:%Y-%m-%d %H:%M}–{self.period_end:%Y-%m-%d %H:%M}"


# --- ads (monetization/ads/models.py) --------------------------------------------------------------

from monetization.ads.models import (  # noqa: E402, F401
    AdDecision,
    AdEvent,
    AdRefund,
    AdRefundPart,
    AdRevenueDay,
    AdTopUp,
    AdvertiserAccount,
    Campaign,
)

# --- creator plans (monetization/plans/models.py) -------------------------------------------------
from monetization.plans.models import CreatorSubscription, PlanPrice  # noqa: E402, F401

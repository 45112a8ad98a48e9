"""A creator's plan subscription (one row per creator, its state from Stripe's subscription
webhooks) and the Stripe Price of each paid plan. Imported by ``monetization.models``."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from monetization.plans.catalogue import CODES, PAID_CODES


class PlanPrice(models.Model):
    """The Stripe Price a paid plan is sold at (made on first use)."""

    plan = models.CharField(max_length=20, choices=[(code, code) for code in PAID_CODES])
    price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    stripe_price_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "price_minor", "currency"], name="monetization_plan_price_once")
        ]

    def __str__(self):
        return f"{self.plan} {self.price_minor} {self.currency}"


class CreatorSubscription(models.Model):
    """The creator's paid plan. No row, or a row not in a live status: the free plan."""

    class Status(models.TextChoices):
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        INCOMPLETE = "incomplete", "Incomplete"
        CANCELED = "canceled", "Canceled"

    # Statuses in which the plan's quotas apply (past due: Stripe is still retrying the payment).
    LIVE_STATUSES = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE)

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator_plan")
    plan = models.CharField(max_length=20, choices=[(code, code) for code in CODES])
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INCOMPLETE)
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # When Stripe was in the state stored here (the event's creation, or our call's answer): an
    # event older than that is a late delivery and changes nothing.
    state_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user_id}: {self.plan} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

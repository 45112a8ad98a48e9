"""Shapes of the monetization API. Money is ``{"amount": <int minor units>, "currency": "usd"}``."""

from django.conf import settings
from rest_framework import serializers

from monetization.models import CREATOR_KIND_CHOICES, Payout, Source
from socialflow.api.pagination import MAX_PAGE_SIZE
from socialflow.core import quotas
from socialflow.core.money import Money


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Integer count of the currency's minor unit (cents).")
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217 code, lower case.")

    def to_representation(self, money):
        return {"amount": money.amount_minor, "currency": money.currency.lower()}


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217 code, lower case.")
    pending = MoneySerializer(help_text="Earned, still inside the hold period (refunds may take it back).")
    available = MoneySerializer(help_text="Past the hold period: may be paid out.")

    def to_representation(self, balance):
        data = super().to_representation(balance)
        data["currency"] = data["currency"].lower()
        return data


class SourceTotalSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)
    amount = MoneySerializer(help_text="Net of refunds, chargebacks and payouts of that source.")


class EntrySerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    transaction_id = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(choices=Source.choices, source="transaction.source", read_only=True)
    account = serializers.ChoiceField(choices=CREATOR_KIND_CHOICES, source="account.kind", read_only=True)
    amount = MoneySerializer(source="money", read_only=True, help_text="Positive: credited to you.")
    memo = serializers.CharField(source="transaction.memo", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class EarningsSerializer(serializers.Serializer):
    balances = BalanceSerializer(many=True, help_text="Pending and available, one row per currency.")
    by_source = SourceTotalSerializer(many=True, help_text="Totals per source and currency.")
    next = serializers.URLField(allow_null=True, help_text="The next page of `results`.")
    previous = serializers.URLField(allow_null=True, help_text="Always null.")
    results = EntrySerializer(
        many=True, help_text=f"Your ledger entries, newest first (pages of up to {MAX_PAGE_SIZE})."
    )


class TipCreateSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=150, help_text="The creator's username.")
    amount = serializers.IntegerField(help_text="Minor units of the currency (cents): 500 is $5.00.")
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217; default the platform's currency."
    )
    stream_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="A live stream of the creator's: shown highlighted in its chat."
    )
    message = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TipFeesSerializer(serializers.Serializer):
    processing = MoneySerializer(help_text="The card processor's fee (rate plus a fixed amount).")
    platform = MoneySerializer(help_text="The platform's share.")
    net = MoneySerializer(help_text="What the creator receives.")


class TipSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    amount = MoneySerializer(read_only=True)
    fees = TipFeesSerializer(read_only=True)
    client_secret = serializers.CharField(
        read_only=True, help_text="Confirm the payment with it (Stripe.js, or the local server's)."
    )
    payment_intent = serializers.CharField(source="payment_intent_id", read_only=True)
    publishable_key = serializers.CharField(read_only=True)

    def to_representation(self, tip):
        from_fees = {
            "processing": Money(tip.processing_fee_minor, tip.currency),
            "platform": Money(tip.platform_fee_minor, tip.currency),
            "net": Money(tip.net_minor, tip.currency),
        }
        return {
            "id": str(tip.pk),
            "status": tip.status,
            "amount": MoneySerializer(tip.amount).data,
            "fees": {name: MoneySerializer(value).data for name, value in from_fees.items()},
            "client_secret": tip.client_secret,
            "payment_intent": tip.payment_intent_id,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        }


class ConnectLinkSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, help_text="Open it to set up (or finish) Stripe Connect payouts.")


class PayoutCreateSerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Minor units (cents) of your available balance.")
    currency = serializers.CharField(min_length=3, max_length=3, required=False)


class PayoutSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    amount = MoneySerializer(read_only=True)
    status = serializers.ChoiceField(choices=Payout.Status.choices, read_only=True)
    failure_message = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class TierSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=100)
    perks = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    price = serializers.IntegerField(source="price_minor", help_text="Per month, in minor units (cents).")
    currency = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_currency(self, tier) -> str:
        return tier.currency.lower()


class CheckoutRequestSerializer(serializers.Serializer):
    tier_id = serializers.IntegerField()


class CheckoutSerializer(serializers.Serializer):
    checkout_url = serializers.URLField(read_only=True)


# --- creator plans --------------------------------------------------------------------------------


class QuotasSerializer(serializers.Serializer):
    max_videos = serializers.IntegerField(allow_null=True, help_text="Videos you may have; null: unlimited.")
    storage_bytes = serializers.IntegerField(allow_null=True, help_text="Bytes of video sources; null: unlimited.")
    live_streams = serializers.IntegerField(allow_null=True, help_text="Concurrent live streams; null: unlimited.")


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    price = MoneySerializer(read_only=True, help_text="Per month.")
    quotas = serializers.SerializerMethodField()

    def get_quotas(self, plan) -> QuotasSerializer:
        return QuotasSerializer(
            {"max_videos": plan.max_videos, "storage_bytes": plan.storage_bytes, "live_streams": plan.live_streams}
        ).data


class PlansSerializer(serializers.Serializer):
    current = serializers.CharField(read_only=True, help_text="The code of your plan in effect.")
    plans = PlanSerializer(many=True, read_only=True)


class UsageSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(choices=quotas.RESOURCES, read_only=True)
    used = serializers.IntegerField(read_only=True)
    limit = serializers.IntegerField(read_only=True, allow_null=True, help_text="null: unlimited.")


class PlanStateSerializer(serializers.Serializer):
    plan = PlanSerializer(read_only=True, help_text="The plan in effect (free without a live subscription).")
    status = serializers.ChoiceField(
        choices=["free", "trialing", "active", "past_due"],
        read_only=True,
        help_text="free: no paid plan; past_due: Stripe is retrying the payment (the plan still applies).",
    )
    trial_end = serializers.DateTimeField(read_only=True, allow_null=True)
    current_period_end = serializers.DateTimeField(read_only=True, allow_null=True)
    cancel_at_period_end = serializers.BooleanField(read_only=True)
    usage = UsageSerializer(many=True, read_only=True)

    def to_representation(self, state):
        sub = state.subscription if state.subscription is not None and state.subscription.is_live else None
        return {
            "plan": PlanSerializer(state.plan).data,
            "status": state.status,
            "trial_end": serializers.DateTimeField().to_representation(sub.trial_end)
            if sub and sub.trial_end
            else None,
            "current_period_end": (
                serializers.DateTimeField().to_representation(sub.current_period_end)
                if sub and sub.current_period_end
                else None
            ),
            "cancel_at_period_end": bool(sub and sub.cancel_at_period_end),
            "usage": UsageSerializer(self.context.get("usage", []), many=True).data,
        }


class PlanChooseSerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=20, help_text="A paid plan's code: basic, premium, pro, enterprise.")


class PlanChangeSerializer(serializers.Serializer):
    checkout_url = serializers.URLField(
        read_only=True, allow_null=True, help_text="A first subscription: pay here. null: the plan was changed."
    )
    plan = PlanStateSerializer(read_only=True)

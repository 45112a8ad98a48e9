"""Shapes of the ads API. Amounts in: integer minor units; out: ``{"amount", "currency"}``."""

from django.conf import settings
from rest_framework import serializers

from monetization.ads.models import MICROS, AdEvent, AdRefund, AdRefundPart, AdTopUp, Campaign, Device
from socialflow.core.money import Money

MAX_BIGINT = 2**63 - 1


class MoneyOut(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Integer count of the currency's minor unit (cents).")
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217 code, lower case.")

    def to_representation(self, money: Money):
        return {"amount": money.amount_minor, "currency": money.currency.lower()}


class TargetingSerializer(serializers.Serializer):
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=50, required=False, help_text="Any of the video's tags."
    )
    countries = serializers.ListField(
        child=serializers.CharField(min_length=2, max_length=2),
        max_length=50,
        required=False,
        help_text="ISO 3166-1 alpha-2 codes of the viewer's country.",
    )
    devices = serializers.ListField(child=serializers.ChoiceField(choices=Device.choices), max_length=3, required=False)
    age_min = serializers.IntegerField(min_value=13, max_value=120, required=False, allow_null=True)
    age_max = serializers.IntegerField(min_value=13, max_value=120, required=False, allow_null=True)


class CampaignSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(choices=Campaign.Status.choices, read_only=True)
    review_reason = serializers.CharField(read_only=True, help_text="The moderator's reason, when rejected.")
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When a moderator decided.")
    creative = serializers.IntegerField(
        source="creative_id", min_value=1, max_value=MAX_BIGINT, help_text="One of your videos, ready."
    )
    click_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    budget = serializers.IntegerField(
        source="budget_minor", min_value=1, max_value=MAX_BIGINT, help_text="All the campaign may spend, minor units."
    )
    bid_cpm = serializers.IntegerField(
        source="bid_cpm_minor", min_value=1, max_value=MAX_BIGINT, help_text="Most paid per 1,000 impressions."
    )
    currency = serializers.CharField(read_only=True)
    spent = MoneyOut(read_only=True, help_text="Charged so far (whole minor units, rounded down).")
    spent_micros = serializers.IntegerField(read_only=True, help_text=f"Charged so far, 1/{MICROS} minor units.")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    paused = serializers.BooleanField(required=False)
    targeting = TargetingSerializer(required=False)
    frequency_cap = serializers.IntegerField(
        min_value=1, max_value=100, required=False, help_text="Impressions per viewer per day."
    )
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, campaign: Campaign):
        data = super().to_representation(campaign)
        data["currency"] = campaign.currency.lower()
        data["targeting"] = {
            "tags": campaign.target_tags,
            "countries": campaign.target_countries,
            "devices": campaign.target_devices,
            "age_min": campaign.target_age_min,
            "age_max": campaign.target_age_max,
        }
        return data

    def service_fields(self) -> dict:
        """The validated data as the services' keyword arguments."""
        values = dict(self.validated_data)
        out = {}
        if "creative_id" in values:
            out["creative_id"] = values.pop("creative_id")
        targeting = values.pop("targeting", None) or {}
        for key in ("tags", "countries", "devices"):
            if key in targeting:
                out[f"target_{key}"] = targeting[key]
        for key in ("age_min", "age_max"):
            if key in targeting:
                out[f"target_{key}"] = targeting[key]
        out.update(values)
        return out


class AdDecisionSerializer(serializers.Serializer):
    decision_id = serializers.UUIDField(help_text="Send it back with each event.")
    campaign = serializers.CharField()
    creative = serializers.IntegerField(help_text="The video to play (GET videos/{id}).")
    title = serializers.CharField()
    click_url = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField(help_text="Events are accepted until then.")


class AdEventInput(serializers.Serializer):
    decision_id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=AdEvent.Type.choices)


class AdEventSerializer(serializers.Serializer):
    decision_id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=AdEvent.Type.choices)
    recorded = serializers.BooleanField(help_text="False: this event of the decision was already recorded.")
    created_at = serializers.DateTimeField()


class AdBalanceSerializer(serializers.Serializer):
    available = MoneyOut(help_text="Prepaid and not reserved: what new or raised budgets are funded from.")
    reserved = MoneyOut(help_text="Held for your campaigns' budgets, not billed yet.")
    spent = MoneyOut(help_text="Billed spend, all time.")
    refundable = MoneyOut(
        help_text="What a balance refund may give back now: the available balance, at most what your paid "
        "top-ups have left to refund."
    )


class TopUpInput(serializers.Serializer):
    amount = serializers.IntegerField(
        min_value=1, max_value=MAX_BIGINT, help_text="Minor units of the platform's currency (cents)."
    )


class TopUpSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    amount = MoneyOut(read_only=True)
    status = serializers.ChoiceField(choices=AdTopUp.Status.choices, read_only=True)
    client_secret = serializers.CharField(
        read_only=True, help_text="Confirm the payment with it (Stripe.js, or the local server's)."
    )
    publishable_key = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    paid_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, top_up: AdTopUp):
        return {
            "id": str(top_up.pk),
            "amount": MoneyOut(top_up.amount).data,
            "status": top_up.status,
            "client_secret": top_up.client_secret if top_up.status == AdTopUp.Status.PENDING else "",
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "created_at": serializers.DateTimeField().to_representation(top_up.created_at),
            "paid_at": serializers.DateTimeField().to_representation(top_up.paid_at) if top_up.paid_at else None,
        }


class RefundInput(serializers.Serializer):
    amount = serializers.IntegerField(
        min_value=1,
        max_value=MAX_BIGINT,
        required=False,
        help_text="Minor units of the platform's currency; left out: all that is refundable.",
    )


class RefundPartSerializer(serializers.Serializer):
    top_up = serializers.CharField(source="top_up_id", help_text="The top-up whose card payment is refunded.")
    amount = serializers.IntegerField(source="amount_minor", help_text="Minor units.")
    status = serializers.ChoiceField(choices=AdRefundPart.Status.choices)


class RefundSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    requested = MoneyOut(read_only=True)
    amount = MoneyOut(read_only=True, help_text="Refunded: less than requested only when Stripe refused a top-up.")
    origin = serializers.ChoiceField(choices=AdRefund.Origin.choices, read_only=True)
    parts = RefundPartSerializer(many=True, read_only=True, help_text="One Stripe refund per top-up, newest first.")
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, refund: AdRefund):
        return {
            "id": str(refund.pk),
            "requested": MoneyOut(refund.requested).data,
            "amount": MoneyOut(refund.amount).data,
            "origin": refund.origin,
            "parts": RefundPartSerializer(refund.parts.all(), many=True).data,
            "created_at": serializers.DateTimeField().to_representation(refund.created_at),
        }

from datetime import timedelta

import factory
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from monetization.ads import billing
from monetization.ads.models import AdTopUp, Campaign
from videos.tests.factories import VideoFactory


def prepaid_credit(advertiser, amount_minor: int) -> AdTopUp:
    """Credit the advertiser's prepaid ad balance as a paid card top-up does (its webhook's service)."""
    top_up = AdTopUp.objects.create(advertiser=advertiser, amount_minor=amount_minor, currency="USD")
    intent_id = f"pi_test_top_up_{top_up.pk}"
    AdTopUp.objects.filter(pk=top_up.pk).update(payment_intent_id=intent_id)
    billing.stripe_top_up_succeeded(
        {
            "id": intent_id,
            "amount": amount_minor,
            "currency": "usd",
            "metadata": {billing.TOP_UP_METADATA: str(top_up.pk)},
        }
    )
    top_up.refresh_from_db()
    return top_up


class CampaignFactory(factory.django.DjangoModelFactory):
    """An approved campaign, serving now for a week, $100 at a $5 CPM; its budget funded from the
    advertiser's prepaid balance (topped up for it) unless ``funded=False``."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    advertiser = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    creative = factory.SubFactory(VideoFactory, author=factory.SelfAttribute("..advertiser"))
    currency = "USD"
    budget_minor = 10_000
    bid_cpm_minor = 500
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=6))
    status = Campaign.Status.APPROVED
    frequency_cap = 3

    @factory.post_generation
    def funded(campaign, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        prepaid_credit(campaign.advertiser, campaign.budget_minor)
        with transaction.atomic():
            billing.campaign_fund(campaign=Campaign.objects.select_for_update().get(pk=campaign.pk))
        campaign.refresh_from_db()


def paid_top_up(local_stripe, advertiser, amount_minor: int) -> AdTopUp:
    """A top-up paid by card on the local Stripe server (so it can be refunded there), credited by
    its webhook's service."""
    top_up = billing.top_up_create(advertiser=advertiser, amount_minor=amount_minor)
    intent = local_stripe.pay(top_up.payment_intent_id)
    billing.stripe_top_up_succeeded(intent.to_dict())
    top_up.refresh_from_db()
    return top_up

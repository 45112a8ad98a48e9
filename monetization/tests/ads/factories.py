from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from monetization.ads.models import Campaign
from videos.tests.factories import VideoFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    """An approved campaign, serving now for a week, $100 at a $5 CPM."""

    class Meta:
        model = Campaign

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

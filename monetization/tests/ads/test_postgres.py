"""Concurrent impressions on PostgreSQL: the campaign's row lock keeps spend exact and within the
budget, and a repeated event is recorded once; concurrent budget reservations and balance refunds
of one advertiser never take more than the prepaid balance (SQLite serialises writers: skipped there)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.tests.factories import UserFactory
from monetization.ads import billing, selectors, services
from monetization.ads.models import AdDecision, AdEvent, AdRefund, AdRevenueDay, Campaign
from monetization.devstripe import resources as devstripe
from monetization.tests.ads.factories import CampaignFactory, paid_top_up, prepaid_credit
from videos.tests.factories import VideoFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks"),
]


def _in_threads(calls, expected=()):
    barrier, errors = threading.Barrier(len(calls)), []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(error, expected) for error in errors) if expected else not errors, errors
    return errors


def test_concurrent_impressions_spend_exactly_and_never_past_the_budget():
    # 2 cents at a $7 CPM (0.7 cent an impression): 2 whole impressions and 0.6 of one fit.
    campaign = CampaignFactory(budget_minor=2, bid_cpm_minor=700)
    video = VideoFactory()
    decisions = [
        AdDecision.objects.create(campaign=campaign, video=video, viewer_key=f"u:{i}", price_cpm_minor=700)
        for i in range(8)
    ]
    _in_threads(
        [lambda d=decision: services.ad_event_record(decision_id=d.pk, kind="impression") for decision in decisions]
    )
    campaign.refresh_from_db()
    charges = sorted(AdEvent.objects.values_list("charged_micros", flat=True), reverse=True)
    assert campaign.spent_micros == 2_000_000 == sum(charges)
    assert charges == [700_000, 700_000, 600_000, 0, 0, 0, 0, 0]
    row = AdRevenueDay.objects.get()
    assert (row.impressions, row.charged_micros) == (8, 2_000_000)


def test_one_impression_sent_many_times_at_once_is_charged_once():
    campaign = CampaignFactory(budget_minor=1000, bid_cpm_minor=500)
    decision = AdDecision.objects.create(campaign=campaign, video=VideoFactory(), viewer_key="u:1", price_cpm_minor=500)
    calls = [lambda: services.ad_event_record(decision_id=decision.pk, kind="impression") for _ in range(6)]
    _in_threads(calls)
    assert AdEvent.objects.filter(decision=decision).count() == 1
    assert Campaign.objects.get(pk=campaign.pk).spent_micros == 500_000


def test_concurrent_campaigns_never_reserve_more_than_the_prepaid_balance():
    advertiser = UserFactory()
    videos = [VideoFactory(author=advertiser) for _ in range(6)]
    prepaid_credit(advertiser, 10_000)  # room for two budgets of 5,000
    now = timezone.now()
    calls = [
        lambda video=video: services.campaign_create(
            advertiser=advertiser,
            creative_id=video.pk,
            name="Race",
            budget_minor=5000,
            bid_cpm_minor=400,
            starts_at=now,
            ends_at=now + timedelta(days=2),
        )
        for video in videos
    ]
    refused = _in_threads(calls, expected=(billing.InsufficientBalance,))
    assert len(refused) == 4
    assert Campaign.objects.filter(advertiser=advertiser).count() == 2
    balance = selectors.advertiser_balance(advertiser=advertiser, currency="USD")
    assert (balance.available.amount_minor, balance.reserved.amount_minor) == (0, 10_000)


def test_concurrent_budget_raises_never_reserve_more_than_the_prepaid_balance():
    advertiser = UserFactory()
    campaigns = [CampaignFactory(advertiser=advertiser, budget_minor=1000) for _ in range(5)]
    prepaid_credit(advertiser, 3000)
    calls = [lambda c=c: services.campaign_update(campaign=c, budget_minor=2000) for c in campaigns]
    refused = _in_threads(calls, expected=(billing.InsufficientBalance,))
    assert len(refused) == 2
    assert Campaign.objects.filter(advertiser=advertiser, budget_minor=2000).count() == 3
    balance = selectors.advertiser_balance(advertiser=advertiser, currency="USD")
    assert (balance.available.amount_minor, balance.reserved.amount_minor) == (0, 8000)


# --- balance refunds ------------------------------------------------------------------------------


def _refunded_on_stripe(local_stripe, top_up) -> int:
    return local_stripe.call(
        lambda: devstripe.PaymentIntent._api_retrieve(top_up.payment_intent_id).latest_charge.amount_refunded
    )


def test_two_concurrent_refunds_never_take_more_than_the_refundable_balance(local_stripe, settings):
    settings.MONETIZATION_CURRENCY = "USD"
    advertiser = UserFactory()
    top_up = paid_top_up(local_stripe, advertiser, 5000)
    calls = [lambda: billing.balance_refund(advertiser=advertiser, amount_minor=3000) for _ in range(2)]
    refused = _in_threads(calls, expected=(billing.InsufficientBalance,))
    assert len(refused) == 1 and refused[0].code == "insufficient_balance"
    assert AdRefund.objects.filter(advertiser=advertiser).count() == 1
    assert _refunded_on_stripe(local_stripe, top_up) == 3000
    top_up.refresh_from_db()
    assert top_up.refunded_minor == 3000
    balance = selectors.advertiser_balance(advertiser=advertiser, currency="USD")
    assert balance.available.amount_minor == 2000


def test_a_refund_racing_a_campaigns_reservation_never_takes_the_same_money_twice(local_stripe, settings):
    settings.MONETIZATION_CURRENCY = "USD"
    advertiser = UserFactory()
    video = VideoFactory(author=advertiser)
    paid_top_up(local_stripe, advertiser, 5000)
    now = timezone.now()
    calls = [
        lambda: billing.balance_refund(advertiser=advertiser, amount_minor=3000),
        lambda: services.campaign_create(
            advertiser=advertiser,
            creative_id=video.pk,
            name="Race",
            budget_minor=3000,
            bid_cpm_minor=400,
            starts_at=now,
            ends_at=now + timedelta(days=2),
        ),
    ]
    refused = _in_threads(calls, expected=(billing.InsufficientBalance,))
    assert len(refused) == 1
    done = AdRefund.objects.count() + Campaign.objects.count()
    assert done == 1
    balance = selectors.advertiser_balance(advertiser=advertiser, currency="USD")
    assert balance.available.amount_minor + balance.reserved.amount_minor == 2000 + 3000 * Campaign.objects.count()

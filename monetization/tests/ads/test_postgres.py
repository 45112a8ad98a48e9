"""Concurrent impressions on PostgreSQL: the campaign's row lock keeps spend exact and within the
budget, and a repeated event is recorded once (SQLite serialises writers: skipped there)."""

import threading

import pytest
from django.db import connection, connections

from monetization.ads import services
from monetization.ads.models import AdDecision, AdEvent, AdRevenueDay, Campaign
from monetization.tests.ads.factories import CampaignFactory
from videos.tests.factories import VideoFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks"),
]


def _in_threads(calls):
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
    assert not errors, errors


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

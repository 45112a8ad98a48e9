"""Campaigns, review, serving and events through the services (SQLite; locking is test_postgres)."""

import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from monetization import selectors as monetization_selectors
from monetization.ads import services
from monetization.ads.models import MICROS, AdDecision, AdEvent, AdRevenueDay, Campaign
from monetization.tests.ads.factories import CampaignFactory, prepaid_credit
from socialflow.core import territory
from socialflow.core.exceptions import Conflict, InvalidInput, NotFound
from socialflow.core.models import AuditEntry
from videos.models import Tag
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

MOBILE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"


@pytest.fixture(autouse=True)
def _ads_settings(settings):
    settings.ADS_RESERVE_CPM_MINOR = 100
    settings.MONETIZATION_CURRENCY = "USD"


@pytest.fixture
def viewer():
    return UserFactory()


@pytest.fixture
def video():
    return VideoFactory()


def _tagged(video, *names):
    video.tags.add(*(Tag.objects.get_or_create(name=name)[0] for name in names))
    return video


def _campaign_kwargs(**overrides):
    now = timezone.now()
    return {
        "name": "Spring sale",
        "budget_minor": 5000,
        "bid_cpm_minor": 400,
        "starts_at": now,
        "ends_at": now + timedelta(days=7),
        **overrides,
    }


# --- campaigns and review -------------------------------------------------------------------------


def test_a_new_campaign_waits_for_review_with_its_targeting_cleaned():
    creative = VideoFactory()
    prepaid_credit(creative.author, 5000)
    campaign = services.campaign_create(
        advertiser=creative.author,
        creative_id=creative.pk,
        **_campaign_kwargs(target_tags=["Cooking", "cooking", "travel"], target_countries=["fr", "DE"]),
    )
    assert campaign.status == Campaign.Status.PENDING
    assert campaign.currency == "USD"
    assert campaign.target_tags == ["cooking", "travel"]
    assert campaign.target_countries == ["FR", "DE"]


def test_the_creative_must_be_the_advertisers_own_ready_video():
    other, processing = VideoFactory(), VideoFactory(status="processing")
    with pytest.raises(InvalidInput, match="your videos"):
        services.campaign_create(advertiser=UserFactory(), creative_id=other.pk, **_campaign_kwargs())
    with pytest.raises(InvalidInput, match="ready"):
        services.campaign_create(advertiser=processing.author, creative_id=processing.pk, **_campaign_kwargs())


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"budget_minor": 1}, "budget"),
        ({"bid_cpm_minor": 99}, "bid_cpm"),
        ({"ends_at": timezone.now() - timedelta(days=1)}, "ends_at"),
        ({"target_age_min": 40, "target_age_max": 20}, "target_age_max"),
        ({"target_devices": ["fridge"]}, "target_devices"),
        ({"target_countries": ["France"]}, "target_countries"),
    ],
)
def test_invalid_campaigns_are_refused(overrides, field):
    creative = VideoFactory()
    with pytest.raises(InvalidInput) as refused:
        services.campaign_create(advertiser=creative.author, creative_id=creative.pk, **_campaign_kwargs(**overrides))
    assert refused.value.field == field


def test_review_is_audited_and_follows_the_states():
    moderator = UserFactory(role="moderator")
    campaign = CampaignFactory(status=Campaign.Status.PENDING)
    services.campaign_approve(campaign=campaign, by=moderator)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.APPROVED and campaign.reviewed_by == moderator
    services.campaign_reject(campaign=campaign, by=moderator, reason="Misleading claims")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.review_reason) == (Campaign.Status.REJECTED, "Misleading claims")
    with pytest.raises(Conflict):
        services.campaign_approve(campaign=campaign, by=moderator)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor", "target_id", "reason"))
    assert actions == [
        ("ad_campaign.approved", moderator.pk, str(campaign.pk), ""),
        ("ad_campaign.rejected", moderator.pk, str(campaign.pk), "Misleading claims"),
    ]


def test_editing_what_is_shown_sends_the_campaign_back_to_review_but_the_budget_does_not():
    campaign = CampaignFactory()
    prepaid_credit(campaign.advertiser, 10_000)
    services.campaign_update(campaign=campaign, budget_minor=20_000, paused=True)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.budget_minor, campaign.paused) == ("approved", 20_000, True)
    services.campaign_update(campaign=campaign, target_tags=["news"])
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING


def test_the_budget_cannot_go_below_the_spend():
    campaign = CampaignFactory(spent_micros=2000 * MICROS)
    with pytest.raises(InvalidInput, match="spent"):
        services.campaign_update(campaign=campaign, budget_minor=1999)


# --- serving --------------------------------------------------------------------------------------


def test_the_second_price_auction_picks_the_highest_bid_at_the_runner_up_price(viewer, video):
    low, high = CampaignFactory(bid_cpm_minor=300), CampaignFactory(bid_cpm_minor=900)
    CampaignFactory(bid_cpm_minor=2000, status=Campaign.Status.PENDING)  # not reviewed: no bid
    CampaignFactory(bid_cpm_minor=2000, paused=True)
    CampaignFactory(
        bid_cpm_minor=2000, ends_at=timezone.now() - timedelta(seconds=1), starts_at=timezone.now() - timedelta(days=2)
    )
    decision = services.ad_serve(viewer=viewer, video_id=video.pk, user_agent=DESKTOP)
    assert (decision.campaign_id, decision.price_cpm_minor) == (high.pk, low.bid_cpm_minor)
    assert decision.video == video and decision.viewer_key == f"u:{viewer.pk}"


def test_no_campaign_no_ad(viewer, video):
    assert services.ad_serve(viewer=viewer, video_id=video.pk) is None


def test_a_video_the_viewer_cannot_see_is_a_404(viewer):
    hidden = VideoFactory(visibility="private")
    CampaignFactory()
    with pytest.raises(NotFound):
        services.ad_serve(viewer=viewer, video_id=hidden.pk)


def test_a_campaign_whose_creative_is_no_longer_ready_or_was_removed_does_not_serve(viewer, video):
    CampaignFactory(creative=VideoFactory(status="failed"))
    CampaignFactory(creative=VideoFactory(moderation_status="removed"))
    assert services.ad_serve(viewer=viewer, video_id=video.pk) is None


def test_targeting_by_tags_country_and_device(viewer):
    cooking = _tagged(VideoFactory(), "cooking")
    tags = CampaignFactory(target_tags=["cooking"], bid_cpm_minor=900)
    french = CampaignFactory(target_countries=["FR"], bid_cpm_minor=800)
    mobile = CampaignFactory(target_devices=["mobile"], bid_cpm_minor=700)

    def winner(video, *, country=None, ua=DESKTOP):
        token = territory.set_viewer_country(country)
        try:
            decision = services.ad_serve(viewer=viewer, video_id=video.pk, user_agent=ua)
        finally:
            territory.reset_viewer_country(token)
        AdDecision.objects.all().delete()  # no frequency cap in the way
        return decision and decision.campaign_id

    assert winner(cooking) == tags.pk
    assert winner(VideoFactory(), country="FR") == french.pk
    assert winner(VideoFactory(), country="DE", ua=MOBILE) == mobile.pk
    assert winner(VideoFactory(), country=None, ua=DESKTOP) is None  # unknown country: not in FR


def test_age_targeting_applies_to_viewers_with_a_birth_date_only(video):
    campaign = CampaignFactory(target_age_min=18, target_age_max=24)
    young, old = UserFactory(), UserFactory()
    young.birth_date = date.today().replace(year=date.today().year - 20)
    old.birth_date = date(1950, 1, 1)
    assert services.ad_serve(viewer=young, video_id=video.pk).campaign_id == campaign.pk
    assert services.ad_serve(viewer=old, video_id=video.pk) is None
    # accounts has no birth date yet: a viewer without one is not age-targeted (docs/ads.md)
    assert services.ad_serve(viewer=UserFactory(), video_id=video.pk).campaign_id == campaign.pk


def test_the_frequency_cap_counts_a_viewers_ads_per_campaign_per_utc_day(viewer, video):
    capped = CampaignFactory(frequency_cap=2, bid_cpm_minor=900)
    other = CampaignFactory(frequency_cap=5, bid_cpm_minor=300)
    winners = [services.ad_serve(viewer=viewer, video_id=video.pk).campaign_id for _ in range(3)]
    assert winners == [capped.pk, capped.pk, other.pk]
    # another viewer is not capped; tomorrow the cap starts again
    assert services.ad_serve(viewer=UserFactory(), video_id=video.pk).campaign_id == capped.pk
    tomorrow = timezone.now() + timedelta(days=1)
    assert services.ad_serve(viewer=viewer, video_id=video.pk, now=tomorrow).campaign_id == capped.pk


def test_anonymous_viewers_are_capped_by_ip_and_agent(video):
    from django.contrib.auth.models import AnonymousUser

    CampaignFactory(frequency_cap=1)
    anonymous = AnonymousUser()
    assert services.ad_serve(viewer=anonymous, video_id=video.pk, ip="1.2.3.4", user_agent=DESKTOP)
    assert services.ad_serve(viewer=anonymous, video_id=video.pk, ip="1.2.3.4", user_agent=DESKTOP) is None
    assert services.ad_serve(viewer=anonymous, video_id=video.pk, ip="5.6.7.8", user_agent=DESKTOP)


def test_pacing_holds_back_a_campaign_spending_ahead_of_its_schedule(viewer, video):
    now = timezone.now()
    # Two of ten days gone, half the budget spent: it bids a quarter of the time.
    fast = CampaignFactory(
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=8),
        spent_micros=5000 * MICROS,
        bid_cpm_minor=900,
    )
    steady = CampaignFactory(bid_cpm_minor=300, frequency_cap=100)

    class Fixed(random.Random):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def random(self):
            return self.value

    assert services.ad_serve(viewer=viewer, video_id=video.pk, now=now, rng=Fixed(0.24)).campaign_id == fast.pk
    second = services.ad_serve(viewer=UserFactory(), video_id=video.pk, now=now, rng=Fixed(0.26))
    assert (second.campaign_id, second.price_cpm_minor) == (steady.pk, 100)  # alone: the reserve


# --- events and spend -----------------------------------------------------------------------------


def _decision(campaign, video, price=500, **kwargs):
    return AdDecision.objects.create(campaign=campaign, video=video, viewer_key="u:1", price_cpm_minor=price, **kwargs)


def test_an_impression_charges_the_clearing_price_once(video):
    campaign = CampaignFactory()
    decision = _decision(campaign, video, price=650)
    event, created = services.ad_event_record(decision_id=decision.pk, kind="impression")
    again, created_again = services.ad_event_record(decision_id=decision.pk, kind="impression")
    campaign.refresh_from_db()
    assert created and not created_again and again.pk == event.pk
    assert event.charged_micros == 650_000 and campaign.spent_micros == 650_000  # $6.50 CPM: 0.65 cents


def test_clicks_and_completions_follow_an_impression_once_each(video):
    decision = _decision(CampaignFactory(), video)
    with pytest.raises(Conflict):
        services.ad_event_record(decision_id=decision.pk, kind="click")
    services.ad_event_record(decision_id=decision.pk, kind="impression")
    assert services.ad_event_record(decision_id=decision.pk, kind="click")[1] is True
    assert services.ad_event_record(decision_id=decision.pk, kind="click")[1] is False
    assert services.ad_event_record(decision_id=decision.pk, kind="complete")[1] is True
    assert sorted(AdEvent.objects.values_list("type", "charged_micros")) == [
        ("click", 0),
        ("complete", 0),
        ("impression", 500_000),
    ]


def test_unknown_and_expired_decisions_are_404(video, settings):
    settings.ADS_DECISION_TTL_S = 60
    decision = _decision(CampaignFactory(), video, created_at=timezone.now() - timedelta(seconds=61))
    with pytest.raises(NotFound, match="expired"):
        services.ad_event_record(decision_id=decision.pk, kind="impression")
    with pytest.raises(NotFound):
        services.ad_event_record(decision_id="00000000-0000-0000-0000-000000000000", kind="impression")


def test_spend_accrues_exactly_and_stops_at_the_budget(viewer, video):
    # 1 cent at a $3.33 CPM: 3 impressions cost 0.999 cent; the 4th takes the last 0.001 cent.
    campaign = CampaignFactory(budget_minor=1, bid_cpm_minor=333, frequency_cap=100)
    decisions = [_decision(campaign, video, price=333) for _ in range(5)]
    for decision in decisions:
        services.ad_event_record(decision_id=decision.pk, kind="impression")
    campaign.refresh_from_db()
    charges = list(AdEvent.objects.order_by("created_at", "id").values_list("charged_micros", flat=True))
    assert campaign.spent_micros == campaign.budget_micros == sum(charges)
    assert charges == [333_000, 333_000, 333_000, 1_000, 0]
    # spent: no more bids
    assert services.ad_serve(viewer=viewer, video_id=video.pk) is None


def test_ad_revenue_by_video_reads_the_impression_charges_per_day(video):
    campaign = CampaignFactory()
    other_video = VideoFactory()
    yesterday = timezone.now() - timedelta(days=1)
    for when, target in ((yesterday, video), (timezone.now(), video), (timezone.now(), other_video)):
        decision = _decision(campaign, target, price=750, created_at=when)
        services.ad_event_record(decision_id=decision.pk, kind="impression", now=when)
    assert AdRevenueDay.objects.count() == 3
    today = timezone.now().date()
    rows = monetization_selectors.ad_revenue_by_video(start=today - timedelta(days=1), end=today)
    by_video = {row.video_id: row for row in rows}
    assert by_video[video.pk].impressions == 2 and by_video[video.pk].charged_micros == 1_500_000
    assert by_video[video.pk].creator_id == video.author_id
    assert by_video[video.pk].amount.amount_minor == 1  # 1.5 cents: whole cents, rounded down
    assert [row.video_id for row in monetization_selectors.ad_revenue_by_video(start=today, end=today)] == sorted(
        [video.pk, other_video.pk]
    )

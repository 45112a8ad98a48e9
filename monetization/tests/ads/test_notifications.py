"""Advertisers hear about their campaigns: a moderator's approval or rejection (with the reason,
which the campaign keeps and the API shows), through the admin's actions and their domain event;
a budget spent by an impression and a schedule ended (the billing job) — each once."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from monetization.ads import billing, services
from monetization.ads.models import MICROS, AdDecision, Campaign
from monetization.tests.ads.factories import CampaignFactory
from notifications import services as notification_services
from notifications.models import Notification
from socialflow.core.exceptions import Conflict, InvalidInput
from socialflow.core.models import Event
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/monetization/campaign/"


@pytest.fixture(autouse=True)
def _ads_settings(settings):
    settings.ADS_RESERVE_CPM_MINOR = 100
    settings.ADS_DECISION_TTL_S = 3600
    settings.MONETIZATION_CURRENCY = "USD"


@pytest.fixture
def moderator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def handled(django_capture_on_commit_callbacks):
    """Run the block's after-commit work: the events dispatched and handled (eager Celery)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _told(user, kind) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id"))


def _inbox(user, kind) -> list[dict]:
    return bearer_client(user).get("/api/v1/notifications", {"kind": kind}).json()["results"]


# --- review ---------------------------------------------------------------------------------------


def test_it_tells_each_advertiser_of_a_bulk_approval_once(client, moderator, handled):
    pending = [CampaignFactory(status=Campaign.Status.PENDING, name=f"Spring {n}") for n in range(2)]
    with handled():
        response = client.post(ADMIN, {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk for c in pending]})
    assert response.status_code == 302
    for campaign in pending:
        (told,) = _told(campaign.advertiser, "ad_campaign_reviewed")
        assert told.data["status"] == "approved" and told.data["campaign_id"] == str(campaign.pk)
        assert told.actor is None  # the moderator is not named
        assert _inbox(campaign.advertiser, "ad_campaign_reviewed")[0]["text"] == (
            f"Your ad campaign “{campaign.name}” was approved and may now be shown"
        )
    # Approving an approved campaign again changes nothing and tells nobody again.
    with handled():
        client.post(ADMIN, {"action": "approve", ACTION_CHECKBOX_NAME: [pending[0].pk]})
    assert len(_told(pending[0].advertiser, "ad_campaign_reviewed")) == 1
    assert Event.objects.filter(name="ad_campaign.reviewed").count() == 2


def test_a_rejection_tells_the_reason_which_the_campaign_detail_shows(client, moderator, handled):
    campaign = CampaignFactory(status=Campaign.Status.PENDING, name="Casino night")
    data = {"action": "reject", ACTION_CHECKBOX_NAME: [campaign.pk], "apply": "1"}
    with handled():
        client.post(ADMIN, {**data, "reason": "Gambling ads are not allowed"})
    (told,) = _told(campaign.advertiser, "ad_campaign_reviewed")
    text = "Your ad campaign “Casino night” was rejected: Gambling ads are not allowed"
    assert (told.data["status"], told.data["reason"]) == ("rejected", "Gambling ads are not allowed")
    assert _inbox(campaign.advertiser, "ad_campaign_reviewed")[0]["text"] == text
    # Rejections are emailed by default (the advertiser must act on them).
    assert [message.subject for message in mail.outbox] == [text]
    assert mail.outbox[0].to == [campaign.advertiser.email]

    detail = bearer_client(campaign.advertiser).get(f"/api/v1/ads/campaigns/{campaign.pk}").json()
    assert (detail["status"], detail["review_reason"]) == ("rejected", "Gambling ads are not allowed")
    assert detail["reviewed_at"]


def test_a_rejection_needs_a_reason(client, moderator, handled):
    campaign = CampaignFactory(status=Campaign.Status.PENDING)
    data = {"action": "reject", ACTION_CHECKBOX_NAME: [campaign.pk], "apply": "1", "reason": "  "}
    with handled():
        page = client.post(ADMIN, data)
    assert page.status_code == 200 and "needs a reason" in page.content.decode()  # asked again
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING
    with pytest.raises(InvalidInput) as refused:
        services.campaign_reject(campaign=campaign, by=moderator, reason="")
    assert refused.value.field == "reason"
    assert not Notification.objects.filter(kind="ad_campaign_reviewed").exists()


def test_nobody_is_told_of_a_review_that_was_refused(moderator, handled):
    campaign = CampaignFactory(status=Campaign.Status.PENDING)
    campaign.creative.status = "failed"
    campaign.creative.save(update_fields=["status"])
    with handled(), pytest.raises(Conflict):
        services.campaign_approve(campaign=campaign, by=moderator)
    assert not Event.objects.filter(name="ad_campaign.reviewed").exists()


# --- ended ----------------------------------------------------------------------------------------


def test_the_impression_that_spends_the_budget_tells_the_advertiser_once(handled):
    # 2 cents at a $7 CPM (0.7 cent an impression): the third impression takes the last 0.6.
    campaign = CampaignFactory(budget_minor=2, bid_cpm_minor=700, name="Tiny")
    video = VideoFactory()
    for n in range(5):
        decision = AdDecision.objects.create(campaign=campaign, video=video, viewer_key=f"u:{n}", price_cpm_minor=700)
        with handled():
            services.ad_event_record(decision_id=decision.pk, kind="impression")
    campaign.refresh_from_db()
    assert campaign.spent_micros == 2 * MICROS
    (told,) = _told(campaign.advertiser, "ad_campaign_ended")
    assert told.data["reason"] == "budget_spent"
    assert _inbox(campaign.advertiser, "ad_campaign_ended")[0]["text"] == (
        "Your ad campaign “Tiny” has spent its budget of $0.02"
    )
    # The billing job closing it later tells nothing more: nothing is left to release.
    with handled():
        billing.campaigns_bill(now=campaign.ends_at + timedelta(hours=2))
    assert len(_told(campaign.advertiser, "ad_campaign_ended")) == 1


def test_the_billing_job_tells_the_advertiser_a_campaign_ended_once(handled):
    campaign = CampaignFactory(budget_minor=10_000, spent_micros=1234 * MICROS + 500_000, name="Autumn")
    with handled():
        billing.campaigns_bill(now=campaign.ends_at + timedelta(minutes=30))  # its last ads may still count
    assert _told(campaign.advertiser, "ad_campaign_ended") == []
    with handled():
        billing.campaigns_bill(now=campaign.ends_at + timedelta(hours=1))
        billing.campaigns_bill(now=campaign.ends_at + timedelta(hours=2))
    (told,) = _told(campaign.advertiser, "ad_campaign_ended")
    assert told.data["reason"] == "schedule_ended"
    assert told.data["amount"] == {"amount": 1234, "currency": "usd"}
    assert _inbox(campaign.advertiser, "ad_campaign_ended")[0]["text"] == (
        "Your ad campaign “Autumn” has ended: it spent $12.34 of $100.00"
    )


def test_a_rejected_campaign_is_not_told_it_ended(handled):
    moderator = UserFactory(role="moderator")
    campaign = CampaignFactory(budget_minor=10_000, spent_micros=500 * MICROS)
    with handled():
        services.campaign_reject(campaign=campaign, by=moderator, reason="Misleading")
        billing.campaigns_bill(now=campaign.ends_at + timedelta(hours=2))
    assert [n.kind for n in Notification.objects.filter(recipient=campaign.advertiser)] == ["ad_campaign_reviewed"]


def test_advertisers_may_turn_campaign_emails_off(handled):
    campaign = CampaignFactory(status=Campaign.Status.PENDING)
    notification_services.preferences_update(user=campaign.advertiser, kinds={"ad_campaign_reviewed": {"email": False}})
    with handled():
        services.campaign_reject(campaign=campaign, by=UserFactory(role="moderator"), reason="Misleading")
    assert len(_told(campaign.advertiser, "ad_campaign_reviewed")) == 1
    assert mail.outbox == []

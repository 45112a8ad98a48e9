"""Moderators review campaigns in the admin: approve, reject with a reason; both audited."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts.tests.factories import UserFactory
from monetization.ads.models import Campaign
from monetization.tests.ads.factories import CampaignFactory
from socialflow.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/admin/monetization/campaign/"


@pytest.fixture
def moderator(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_the_list_and_a_campaign_show(client, moderator):
    campaign = CampaignFactory(status=Campaign.Status.PENDING, name="Spring sale")
    assert "Spring sale" in client.get(URL, {"status": "pending"}).content.decode()
    assert client.get(f"{URL}{campaign.pk}/change/").status_code == 200


def test_approve_selected(client, moderator):
    pending = [CampaignFactory(status=Campaign.Status.PENDING) for _ in range(2)]
    response = client.post(URL, {"action": "approve", ACTION_CHECKBOX_NAME: [c.pk for c in pending]})
    assert response.status_code == 302
    assert set(Campaign.objects.values_list("status", flat=True)) == {"approved"}
    assert AuditEntry.objects.filter(action="ad_campaign.approved", actor=moderator).count() == 2


def test_reject_asks_why_then_rejects(client, moderator):
    campaign = CampaignFactory(status=Campaign.Status.PENDING)
    data = {"action": "reject", ACTION_CHECKBOX_NAME: [campaign.pk]}
    page = client.post(URL, data)
    assert page.status_code == 200 and "reason" in page.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING
    client.post(URL, {**data, "apply": "1", "reason": "Gambling ads are not allowed"})
    campaign.refresh_from_db()
    assert (campaign.status, campaign.review_reason) == ("rejected", "Gambling ads are not allowed")
    entry = AuditEntry.objects.get(action="ad_campaign.rejected")
    assert (entry.actor, entry.reason) == (moderator, "Gambling ads are not allowed")


def test_a_campaign_whose_creative_broke_is_not_approved(client, moderator):
    campaign = CampaignFactory(status=Campaign.Status.PENDING)
    campaign.creative.status = "failed"
    campaign.creative.save(update_fields=["status"])
    client.post(URL, {"action": "approve", ACTION_CHECKBOX_NAME: [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING

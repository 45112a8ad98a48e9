"""The ads API through the test client: campaigns, serving, events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from monetization.ads.models import AdEvent, Campaign
from monetization.tests.ads.factories import CampaignFactory, prepaid_credit
from socialflow.tests.openapi import assert_conforms
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/api/v1/ads/campaigns"


@pytest.fixture(autouse=True)
def _ads_settings(settings):
    settings.ADS_RESERVE_CPM_MINOR = 100
    settings.MONETIZATION_CURRENCY = "USD"


def _call(client, method, url, data=None, **extra):
    response = getattr(client, method.lower())(url, data, format="json", **extra)
    assert_conforms(response, method, url.split("?")[0] if "{" in url else url)
    return response


def _new_campaign(video, **overrides):
    now = timezone.now()
    return {
        "name": "Launch",
        "creative": video.pk,
        "budget": 5000,
        "bid_cpm": 450,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        "targeting": {"tags": ["music"], "countries": ["us"], "devices": ["mobile"], "age_min": 18, "age_max": 34},
        "click_url": "https://example.com/launch",
        **overrides,
    }


def test_an_advertiser_creates_lists_reads_and_edits_their_campaign():
    creative = VideoFactory()
    prepaid_credit(creative.author, 8000)
    client = bearer_client(creative.author)
    created = _call(client, "POST", CAMPAIGNS, _new_campaign(creative))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending"
    assert body["budget"] == 5000 and body["bid_cpm"] == 450 and body["currency"] == "usd"
    assert body["spent"] == {"amount": 0, "currency": "usd"}
    assert body["targeting"] == {
        "tags": ["music"],
        "countries": ["US"],
        "devices": ["mobile"],
        "age_min": 18,
        "age_max": 34,
    }

    listed = _call(client, "GET", CAMPAIGNS)
    assert [c["id"] for c in listed.json()["results"]] == [body["id"]]
    url = f"{CAMPAIGNS}/{body['id']}"
    assert _call(client, "GET", url).json()["name"] == "Launch"
    patched = _call(client, "PATCH", url, {"budget": 8000, "paused": True})
    assert patched.status_code == 200 and patched.json()["budget"] == 8000 and patched.json()["paused"] is True


def test_other_advertisers_campaigns_are_404_and_lists_show_only_your_own():
    campaign = CampaignFactory()
    stranger = bearer_client(UserFactory())
    assert _call(stranger, "GET", f"{CAMPAIGNS}/{campaign.pk}").status_code == 404
    assert _call(stranger, "PATCH", f"{CAMPAIGNS}/{campaign.pk}", {"name": "mine"}).status_code == 404
    assert _call(stranger, "GET", CAMPAIGNS).json()["results"] == []
    assert _call(stranger, "GET", f"{CAMPAIGNS}/99999999999999999999999").status_code == 404


@pytest.mark.parametrize(
    "overrides",
    [
        {"budget": 0},
        {"budget": "lots"},
        {"bid_cpm": 10},
        {"creative": 999999},
        {"ends_at": "2000-01-01T00:00:00Z"},
        {"targeting": {"devices": ["toaster"]}},
        {"targeting": {"age_min": 50, "age_max": 20}},
        {"click_url": "not a url"},
        {"name": "a\x00b"},
    ],
)
def test_bad_campaigns_are_4xx_with_a_message(overrides):
    creative = VideoFactory()
    response = _call(bearer_client(creative.author), "POST", CAMPAIGNS, _new_campaign(creative, **overrides))
    assert response.status_code == 400, response.json()
    assert Campaign.objects.count() == 0


def test_the_campaign_list_is_paged_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    advertiser = UserFactory()
    for _ in range(5):
        CampaignFactory(advertiser=advertiser)
    client = bearer_client(advertiser)
    with django_assert_max_num_queries(4):
        response = client.get(f"{CAMPAIGNS}?page_size=3")
    assert len(response.json()["results"]) == 3 and response.json()["next"]


def test_serve_then_events_charge_once_and_are_deduplicated():
    video, viewer = VideoFactory(), UserFactory()
    campaign = CampaignFactory(bid_cpm_minor=800, click_url="https://example.com/")
    CampaignFactory(bid_cpm_minor=300)
    client = bearer_client(viewer)
    served = _call(client, "GET", f"/api/v1/ads/serve?video={video.pk}", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile")
    assert served.status_code == 200
    decision = served.json()
    assert decision["campaign"] == str(campaign.pk) and decision["creative"] == campaign.creative_id
    assert decision["click_url"] == "https://example.com/"

    click_first = _call(client, "POST", "/api/v1/ads/events", {"decision_id": decision["decision_id"], "type": "click"})
    assert click_first.status_code == 409
    first = _call(client, "POST", "/api/v1/ads/events", {"decision_id": decision["decision_id"], "type": "impression"})
    again = _call(client, "POST", "/api/v1/ads/events", {"decision_id": decision["decision_id"], "type": "impression"})
    assert (first.status_code, first.json()["recorded"]) == (201, True)
    assert (again.status_code, again.json()["recorded"]) == (200, False)
    for kind in ("click", "complete"):
        assert (
            _call(
                client, "POST", "/api/v1/ads/events", {"decision_id": decision["decision_id"], "type": kind}
            ).status_code
            == 201
        )
    campaign.refresh_from_db()
    assert campaign.spent_micros == 300_000  # the runner-up's $3 CPM, once
    assert AdEvent.objects.count() == 3


def test_anonymous_viewers_get_ads_and_send_events():
    video = VideoFactory()
    CampaignFactory()
    client = bearer_client(UserFactory())
    client.credentials()
    served = _call(client, "GET", f"/api/v1/ads/serve?video={video.pk}")
    assert served.status_code == 200
    event = _call(
        client, "POST", "/api/v1/ads/events", {"decision_id": served.json()["decision_id"], "type": "impression"}
    )
    assert event.status_code == 201


def test_serve_without_an_ad_is_204_and_bad_input_is_4xx():
    video, client = VideoFactory(), bearer_client(UserFactory())
    assert _call(client, "GET", f"/api/v1/ads/serve?video={video.pk}").status_code == 204
    for query in ("", "?video=abc", "?video=-1", "?video=99999999999999999999999"):
        assert _call(client, "GET", f"/api/v1/ads/serve{query}").status_code == 400
    assert _call(client, "GET", "/api/v1/ads/serve?video=999999").status_code == 404
    private = VideoFactory(visibility="private")
    assert _call(client, "GET", f"/api/v1/ads/serve?video={private.pk}").status_code == 404
    bad = [
        {},
        {"decision_id": "nope", "type": "impression"},
        {"decision_id": "00000000-0000-0000-0000-000000000000", "type": "view"},
    ]
    for body in bad:
        assert _call(client, "POST", "/api/v1/ads/events", body).status_code == 400
    unknown = {"decision_id": "00000000-0000-0000-0000-000000000000", "type": "impression"}
    assert _call(client, "POST", "/api/v1/ads/events", unknown).status_code == 404


def test_serving_takes_a_fixed_number_of_queries_whatever_the_number_of_campaigns(django_assert_max_num_queries):
    video, client = VideoFactory(), bearer_client(UserFactory())
    for bid in range(200, 260):
        CampaignFactory(bid_cpm_minor=bid)
    # auth, the video and its tags, the access rules, candidates, today's decisions, the decision,
    # the winner's campaign and creative
    with django_assert_max_num_queries(12) as counted:
        response = client.get(f"/api/v1/ads/serve?video={video.pk}")
    assert response.status_code == 200 and response.json()["campaign"]
    assert len(counted.captured_queries) <= 12

"""Creator plans: the catalogue, quotas enforced through the real upload and live services and
their API (403 quota_exceeded with the plan, the limit and the upgrade link), and the plan's state
from Stripe's subscription webhooks."""

import pytest

from live.services import streams as stream_services
from monetization.models import CreatorSubscription
from monetization.plans import catalogue, selectors
from monetization.plans import services as plan_services
from monetization.tests.factories import CreatorSubscriptionFactory
from socialflow.core import quotas
from videos.services import uploads
from videos.tests.factories import VideoFactory

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
GIB = 1 << 30


@pytest.fixture
def enforced(settings):
    settings.CREATOR_QUOTAS_ENFORCED = True


def _upload(client, length: int = 10):
    return client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH=str(length), **TUS)


def test_it_prices_the_catalogue_in_minor_units():
    assert [(plan.code, plan.price_minor) for plan in catalogue.PLANS] == [
        ("free", 0),
        ("basic", 999),
        ("premium", 1999),
        ("pro", 4999),
        ("enterprise", 9999),
    ]
    assert str(catalogue.BY_CODE["premium"].price) == "$19.99"
    free = catalogue.BY_CODE["free"].limits
    assert (free.max_videos, free.storage_bytes, free.live_streams) == (10, 2 * GIB, 0)
    enterprise = catalogue.BY_CODE["enterprise"].limits
    assert (enterprise.max_videos, enterprise.storage_bytes, enterprise.live_streams) == (None, None, None)
    # Each paid plan allows at least what the one below it does.
    for lower, higher in zip(catalogue.PLANS, catalogue.PLANS[1:], strict=False):
        for resource in quotas.RESOURCES:
            low, high = lower.limits.limit(resource), higher.limits.limit(resource)
            assert high is None or (low is not None and high >= low)


@pytest.mark.django_db
def test_it_is_unlimited_without_a_provider(enforced, alice):
    provider = quotas.limits_provider()
    quotas.set_limits_provider(None)
    try:
        VideoFactory.create_batch(11, author=alice)
        quotas.check_videos(alice)
        quotas.check_live(alice)
    finally:
        quotas.set_limits_provider(provider)


@pytest.mark.django_db
def test_it_applies_the_plan_in_effect(alice):
    assert selectors.plan_for_user(user_id=alice.pk).code == "free"
    sub = CreatorSubscriptionFactory(user=alice, plan="pro", status=CreatorSubscription.Status.TRIALING)
    assert quotas.limits_for(alice).plan == "pro"
    sub.status = CreatorSubscription.Status.PAST_DUE
    sub.save()
    assert quotas.limits_for(alice).plan == "pro"  # Stripe is retrying: the plan still applies
    sub.status = CreatorSubscription.Status.CANCELED
    sub.save()
    assert quotas.limits_for(alice).plan == "free"


@pytest.mark.django_db
def test_it_refuses_the_eleventh_video_on_free(enforced, alice, alice_client):
    VideoFactory.create_batch(10, author=alice)
    with pytest.raises(quotas.QuotaExceeded) as refused:
        uploads.upload_create(user=alice, length=10, metadata={})
    assert (refused.value.plan, refused.value.limit, refused.value.used) == ("free", 10, 10)

    response = _upload(alice_client)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your free plan allows 10 videos: upgrade your plan or delete a video to upload another.",
        "code": "quota_exceeded",
        "plan": "free",
        "resource": "videos",
        "limit": 10,
        "upgrade": "/api/v1/monetization/plans",
    }
    CreatorSubscriptionFactory(user=alice, plan="basic")
    assert _upload(alice_client).status_code == 201


@pytest.mark.django_db
def test_it_refuses_an_upload_beyond_the_storage(enforced, alice, alice_client):
    VideoFactory(author=alice, source_size=2 * GIB - 100)
    assert _upload(alice_client, length=100).status_code == 201  # exactly full
    response = _upload(alice_client, length=1)  # the unfinished upload above counts
    assert response.status_code == 403
    assert (response.json()["code"], response.json()["resource"]) == ("quota_exceeded", "storage")
    assert response.json()["limit"] == 2 * GIB
    assert "2 GiB" in response.json()["detail"]


@pytest.mark.django_db
def test_it_refuses_live_on_free_and_counts_concurrent_streams(enforced, alice, alice_client):
    with pytest.raises(quotas.QuotaExceeded):
        stream_services.stream_create(owner=alice, title="no")
    response = alice_client.post("/api/v1/live/streams", {"title": "no"}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["plan"], body["limit"], body["upgrade"]) == (
        "quota_exceeded",
        "free",
        0,
        "/api/v1/monetization/plans",
    )
    CreatorSubscriptionFactory(user=alice, plan="basic")
    created = alice_client.post("/api/v1/live/streams", {"title": "yes"}, format="json")
    assert created.status_code == 201
    # basic allows one at a time: the active one counts (the second is refused by the quota first).
    assert quotas.usage(alice, quotas.LIVE) == 1
    with pytest.raises(quotas.QuotaExceeded):
        stream_services.stream_create(owner=alice, title="second")


@pytest.mark.django_db
def test_it_allows_a_downgrade_below_usage_but_refuses_new_uploads(enforced, alice, alice_client):
    sub = CreatorSubscriptionFactory(user=alice, plan="basic")
    VideoFactory.create_batch(12, author=alice)
    assert _upload(alice_client).status_code == 201
    plan_services.stripe_plan_subscription_deleted(
        {
            "id": sub.stripe_subscription_id,
            "status": "canceled",
            "metadata": {"socialflow_plan": "basic", "socialflow_user": str(alice.pk)},
        }
    )
    assert selectors.plan_for_user(user_id=alice.pk).code == "free"
    assert alice.videos.count() == 13  # nothing is taken away
    assert _upload(alice_client).status_code == 403
    state = alice_client.get("/api/v1/monetization/plan").json()
    videos = next(line for line in state["usage"] if line["resource"] == "videos")
    assert (state["status"], videos["used"], videos["limit"]) == ("free", 13, 10)


@pytest.mark.django_db
def test_quotas_are_off_unless_enforced(alice):
    VideoFactory.create_batch(10, author=alice)
    uploads.upload_create(user=alice, length=10, metadata={})
    stream_services.stream_create(owner=alice, title="fine")


@pytest.mark.django_db
def test_plans_api(alice_client, api_client, alice):
    listed = alice_client.get("/api/v1/monetization/plans").json()
    assert listed["current"] == "free"
    assert [plan["code"] for plan in listed["plans"]] == list(catalogue.CODES)
    basic = listed["plans"][1]
    assert basic["price"] == {"amount": 999, "currency": "usd"}
    assert basic["quotas"] == {"max_videos": 100, "storage_bytes": 50 * GIB, "live_streams": 1}
    assert listed["plans"][-1]["quotas"] == {"max_videos": None, "storage_bytes": None, "live_streams": None}
    assert api_client.get("/api/v1/monetization/plans").status_code == 401

    state = alice_client.get("/api/v1/monetization/plan").json()
    assert (state["plan"]["code"], state["status"], state["cancel_at_period_end"]) == ("free", "free", False)
    assert alice_client.post("/api/v1/monetization/plan", {"plan": "gold"}, format="json").status_code == 400
    assert alice_client.post("/api/v1/monetization/plan", {"plan": "free"}, format="json").status_code == 400
    refused = alice_client.delete("/api/v1/monetization/plan")
    assert (refused.status_code, refused.json()["code"]) == (409, "no_plan")

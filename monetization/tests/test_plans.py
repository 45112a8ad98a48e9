"""Creator plans: the catalogue, quotas enforced through the real upload and live services and
their API (403 quota_exceeded with the plan, the limit and the upgrade link), and the plan's state
from Stripe's subscription webhooks."""

import threading
import time
from datetime import timedelta

import pytest
import requests
import stripe
from django.conf import settings as settings_module
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone
from djstripe import event_handlers
from djstripe.models import Event as StripeEvent
from localstripe import resources as ls_resources

from accounts.tests.factories import UserFactory
from live.services import streams as stream_services
from monetization import webhooks
from monetization.models import CreatorSubscription, PlanPrice
from monetization.plans import catalogue, selectors
from monetization.plans import services as plan_services
from monetization.tests.factories import CreatorSubscriptionFactory
from monetization.tests.stripe_local import event_body, post_webhook, sign, wait_for
from socialflow.core import quotas
from videos.services import uploads
from videos.tests.factories import VideoFactory

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
GIB = 1 << 30
PERIOD_END = int(time.time()) + 30 * 86400


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
    assert (free.max_videos, free.storage_bytes, free.live_streams) == (50, 5 * GIB, 1)
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
def test_it_refuses_the_fifty_first_video_on_free(enforced, alice, alice_client):
    VideoFactory.create_batch(50, author=alice)
    with pytest.raises(quotas.QuotaExceeded) as refused:
        uploads.upload_create(user=alice, length=10, metadata={})
    assert (refused.value.plan, refused.value.limit, refused.value.used) == ("free", 50, 50)

    response = _upload(alice_client)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your free plan allows 50 videos: upgrade your plan or delete a video to upload another.",
        "code": "quota_exceeded",
        "plan": "free",
        "resource": "videos",
        "limit": 50,
        "upgrade": "/api/v1/monetization/plans",
    }
    CreatorSubscriptionFactory(user=alice, plan="basic")
    assert _upload(alice_client).status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)")
def test_concurrent_uploads_never_take_more_than_the_last_place(enforced, alice):
    VideoFactory.create_batch(49, author=alice)
    barrier = threading.Barrier(4)
    outcomes = []

    def upload():
        try:
            barrier.wait()
            uploads.upload_create(user=alice, length=10, metadata={})
            outcomes.append("ok")
        except quotas.QuotaExceeded as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["quota_exceeded"] * 3
    assert alice.videos.count() == 50


@pytest.mark.django_db(transaction=True)
def test_a_quota_check_outside_a_transaction_is_refused(enforced, alice):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        quotas.check_videos(alice)


@pytest.mark.django_db
def test_it_refuses_an_upload_beyond_the_storage(enforced, alice, alice_client):
    VideoFactory(author=alice, source_size=5 * GIB - 100)
    assert _upload(alice_client, length=100).status_code == 201  # exactly full
    response = _upload(alice_client, length=1)  # the unfinished upload above counts
    assert response.status_code == 403
    assert (response.json()["code"], response.json()["resource"]) == ("quota_exceeded", "storage")
    assert response.json()["limit"] == 5 * GIB
    assert "5 GiB" in response.json()["detail"]


@pytest.mark.django_db
def test_it_counts_concurrent_streams_against_the_plan(enforced, alice, alice_client):
    created = alice_client.post("/api/v1/live/streams", {"title": "yes"}, format="json")
    assert created.status_code == 201  # free allows one stream at a time
    assert quotas.usage(alice, quotas.LIVE) == 1
    with pytest.raises(quotas.QuotaExceeded):
        stream_services.stream_create(owner=alice, title="second")
    response = alice_client.post("/api/v1/live/streams", {"title": "second"}, format="json")
    assert response.status_code == 403  # the quota refuses before the one-active-stream rule
    body = response.json()
    assert (body["code"], body["plan"], body["limit"], body["upgrade"]) == (
        "quota_exceeded",
        "free",
        1,
        "/api/v1/monetization/plans",
    )


@pytest.mark.django_db
def test_it_allows_a_downgrade_below_usage_but_refuses_new_uploads(enforced, alice, alice_client):
    sub = CreatorSubscriptionFactory(user=alice, plan="basic")
    VideoFactory.create_batch(52, author=alice)
    assert _upload(alice_client).status_code == 201
    plan_services.stripe_plan_subscription_deleted(
        {
            "id": sub.stripe_subscription_id,
            "status": "canceled",
            "metadata": {"socialflow_plan": "basic", "socialflow_user": str(alice.pk)},
        }
    )
    assert selectors.plan_for_user(user_id=alice.pk).code == "free"
    assert alice.videos.count() == 53  # nothing is taken away
    assert _upload(alice_client).status_code == 403
    state = alice_client.get("/api/v1/monetization/plan").json()
    videos = next(line for line in state["usage"] if line["resource"] == "videos")
    assert (state["status"], videos["used"], videos["limit"]) == ("free", 53, 50)


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


# --- Stripe: subscribe, upgrade, cancel on the local server; the webhooks ---------------------------


def _connect_webhooks(local_stripe, live_server, settings, request):
    settings.SITE_URL = live_server.url
    endpoint = webhooks.webhook_endpoint_ensure()
    local_stripe.webhooks_to(webhooks.webhook_url(), endpoint.secret)
    request.addfinalizer(local_stripe.quiesce)


def _remote(subscription_id: str):
    return stripe.Subscription.retrieve(subscription_id, api_key=settings_module.STRIPE_SECRET_KEY)


@pytest.mark.django_db(transaction=True)
def test_it_subscribes_with_a_trial_upgrades_and_cancels(
    local_stripe, live_server, settings, alice, alice_client, request
):
    _connect_webhooks(local_stripe, live_server, settings, request)
    settings.MONETIZATION_PLAN_TRIAL_DAYS = 14
    response = alice_client.post("/api/v1/monetization/plan", {"plan": "basic"}, format="json")
    assert response.status_code == 200, response.content
    checkout_url = response.json()["checkout_url"]
    assert checkout_url.startswith(local_stripe.url + "/_local/checkout/cs_test_")
    assert response.json()["plan"]["status"] == "free"  # until Stripe says otherwise
    assert requests.post(checkout_url, allow_redirects=False, timeout=10).status_code == 303

    sub = wait_for(lambda: CreatorSubscription.objects.filter(user=alice, status="trialing").first())
    assert sub.plan == "basic" and sub.stripe_customer_id.startswith("cus_")
    assert abs((sub.trial_end - timezone.now()) - timedelta(days=14)) < timedelta(minutes=5)
    state = alice_client.get("/api/v1/monetization/plan").json()
    assert (state["plan"]["code"], state["status"]) == ("basic", "trialing")
    assert state["trial_end"] is not None and state["current_period_end"] is not None
    assert alice_client.get("/api/v1/monetization/plans").json()["current"] == "basic"
    again = alice_client.post("/api/v1/monetization/plan", {"plan": "basic"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "plan_unchanged")

    # Upgrade: the same subscription moves to premium's Price, prorated.
    upgraded = alice_client.post("/api/v1/monetization/plan", {"plan": "premium"}, format="json")
    assert upgraded.status_code == 200, upgraded.content
    assert upgraded.json()["checkout_url"] is None
    assert upgraded.json()["plan"]["plan"]["code"] == "premium"
    premium_price = PlanPrice.objects.get(plan="premium").stripe_price_id
    assert _remote(sub.stripe_subscription_id)["items"]["data"][0]["price"]["id"] == premium_price
    assert CreatorSubscription.objects.get(user=alice).stripe_subscription_id == sub.stripe_subscription_id

    # Cancel: at the end of the period (here the trial); the plan applies until then.
    canceled = alice_client.delete("/api/v1/monetization/plan")
    assert canceled.status_code == 200
    assert (canceled.json()["plan"]["code"], canceled.json()["cancel_at_period_end"]) == ("premium", True)
    assert _remote(sub.stripe_subscription_id)["cancel_at_period_end"] is True
    # The webhooks of all this arrive later and agree.
    wait_for(lambda: CreatorSubscription.objects.filter(user=alice, plan="premium", cancel_at_period_end=True).exists())
    assert quotas.limits_for(alice).plan == "premium"
    # Changing plan again withdraws the cancellation. (The local server's later deliveries are
    # stopped first: on SQLite the live server shares this thread's connection, and a webhook
    # handled during the request below made it fail under load.)
    local_stripe.quiesce()
    back = alice_client.post("/api/v1/monetization/plan", {"plan": "pro"}, format="json")
    assert (back.json()["plan"]["plan"]["code"], back.json()["plan"]["cancel_at_period_end"]) == ("pro", False)


@pytest.mark.django_db(transaction=True)
def test_a_second_subscription_has_no_trial_and_upgrades_prorate(local_stripe, live_server, settings, alice, request):
    _connect_webhooks(local_stripe, live_server, settings, request)
    CreatorSubscriptionFactory(user=alice, plan="basic", status=CreatorSubscription.Status.CANCELED)
    change = plan_services.plan_subscribe(user=alice, plan_code="pro")
    requests.post(change.checkout_url, allow_redirects=False, timeout=10)
    sub = wait_for(lambda: CreatorSubscription.objects.filter(user=alice, status="active", plan="pro").first())
    assert sub.trial_end is None  # the trial is for the first paid plan only

    local_stripe.quiesce()  # no webhook handled on SQLite's shared connection during the change
    plan_services.plan_subscribe(user=alice, plan_code="enterprise")
    assert selectors.plan_for_user(user_id=alice.pk).code == "enterprise"
    # localstripe credits the unused time of what was paid, as a proration invoice item.
    prorations = [
        item
        for key, item in ls_resources.store.items()
        if key.startswith("invoiceitem:") and item.subscription == sub.stripe_subscription_id
    ]
    assert [(item.amount, item.proration) for item in prorations] == [(-4999, True)]


@pytest.fixture
def endpoint(local_stripe, monkeypatch):
    # dj-stripe's own handlers re-fetch the object from Stripe to sync its tables: not what this checks.
    monkeypatch.setattr(event_handlers, "_handle_crud_like_event", lambda *args, **kwargs: None)
    return webhooks.webhook_endpoint_ensure()


def _subscription(sub_id: str, user, *, price_id: str, status: str = "active", **extra) -> dict:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "cancel_at_period_end": False,
        "current_period_end": PERIOD_END,
        "trial_end": None,
        "metadata": {"socialflow_plan": "basic", "socialflow_user": str(user.pk)},
        "items": {"object": "list", "data": [{"id": "si_1", "price": {"id": price_id, "object": "price"}}]},
        **extra,
    }


@pytest.mark.django_db
def test_the_same_webhook_twice_changes_the_plan_once(client, endpoint, alice):
    PlanPrice.objects.create(plan="premium", price_minor=1999, currency="USD", stripe_price_id="price_premium")
    body = event_body(
        "customer.subscription.created",
        _subscription("sub_a", alice, price_id="price_premium"),
        event_id="evt_plan_1",
    )
    assert post_webhook(client, body, sign(body, endpoint.secret)).status_code == 200
    sub = CreatorSubscription.objects.get(user=alice)
    # The plan is the Price's, not the metadata's (a change keeps the first plan in the metadata).
    assert (sub.plan, sub.status, sub.stripe_subscription_id) == ("premium", "active", "sub_a")
    stamp = sub.updated_at
    assert post_webhook(client, body, sign(body, endpoint.secret)).status_code == 200
    assert StripeEvent.objects.filter(id="evt_plan_1").count() == 1
    assert CreatorSubscription.objects.get().updated_at == stamp
    # Called twice directly (a second event with the same state): still nothing changes.
    plan_services.stripe_plan_subscription_changed(_subscription("sub_a", alice, price_id="price_premium"))
    assert CreatorSubscription.objects.get().updated_at == stamp

    # Ended, then a new subscription; the old one's late event changes nothing.
    plan_services.stripe_plan_subscription_deleted(_subscription("sub_a", alice, price_id="price_premium"))
    plan_services.stripe_plan_subscription_changed(_subscription("sub_b", alice, price_id="price_premium"))
    plan_services.stripe_plan_subscription_changed(_subscription("sub_a", alice, price_id="price_premium"))
    sub = CreatorSubscription.objects.get()
    assert (sub.stripe_subscription_id, sub.status) == ("sub_b", "active")
    # Stripe does not deliver in order: a state older than the stored one changes nothing.
    plan_services.stripe_plan_subscription_deleted(
        _subscription("sub_b", alice, price_id="price_premium"), at=timezone.now() - timedelta(hours=1)
    )
    assert CreatorSubscription.objects.get().status == "active"
    # A membership's subscription event is not a plan's.
    plan_count = CreatorSubscription.objects.count()
    webhooks.HANDLERS["customer.subscription.updated"]({"id": "sub_m", "status": "active", "metadata": {}})
    assert CreatorSubscription.objects.count() == plan_count


# --- Studio -----------------------------------------------------------------------------------------

STUDIO = "/studio/monetization/"


@pytest.mark.django_db
def test_studio_shows_the_plan_and_usage_against_its_quotas(alice):
    client = Client()
    client.force_login(alice)
    VideoFactory.create_batch(3, author=alice, source_size=GIB // 2)
    html = client.get(STUDIO).content.decode()
    assert 'id="plan-name">Free<' in html
    assert "Videos: 3" in html and "of 50" in html and "1.5\xa0GB" in html
    assert 'data-plan="basic"' in html and "Upgrade to Basic ($9.99 / month)" in html
    assert 'id="plan-cancel"' not in html

    CreatorSubscriptionFactory(user=alice, plan="pro", cancel_at_period_end=False)
    VideoFactory.create_batch(50, author=alice)
    html = client.get(STUDIO).content.decode()
    assert 'id="plan-name">Pro<' in html and "of 2000" in html
    assert "Switch to Basic" in html and "Upgrade to Enterprise" in html and 'data-plan="pro"' not in html
    assert 'id="plan-cancel"' in html
    CreatorSubscription.objects.filter(user=alice).update(status=CreatorSubscription.Status.CANCELED)
    html = client.get(STUDIO).content.decode()
    assert "over the limit: new uploads are refused" in html  # 53 videos on free


@pytest.mark.django_db
def test_studio_upgrade_goes_to_checkout_and_cancel_is_at_period_end(local_stripe, alice):
    client = Client()
    client.force_login(alice)
    response = client.post(STUDIO, {"action": "plan-change", "plan": "premium"})
    assert response.status_code == 302 and response["Location"].startswith(local_stripe.url + "/_local/checkout/")
    refused = client.post(STUDIO, {"action": "plan-change", "plan": "gold"}, follow=True)
    assert "No such plan" in refused.content.decode()
    refused = client.post(STUDIO, {"action": "plan-cancel"}, follow=True)
    assert "You have no paid plan to cancel." in refused.content.decode()


@pytest.mark.django_db
def test_the_admin_lists_plan_subscriptions_read_only(client, alice):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    sub = CreatorSubscriptionFactory(user=alice, plan="premium")
    url = "/admin/monetization/creatorsubscription/"
    page = client.get(url, {"q": alice.username, "plan": "premium"})
    assert (
        page.status_code == 200 and f"/admin/monetization/creatorsubscription/{sub.pk}/change/" in page.content.decode()
    )
    assert client.get(f"{url}{sub.pk}/change/").status_code == 200
    assert client.post(f"{url}{sub.pk}/change/", {"plan": "free"}).status_code == 403

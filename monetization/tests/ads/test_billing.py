"""Advertiser billing: card top-ups through Stripe's signed webhook to the real endpoint, budgets
reserved from the prepaid balance (refused without funds, released when lowered, rejected or
ended), spend posted exactly and re-runnably; the API and the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from monetization import selectors as ledger_selectors
from monetization import tasks
from monetization.ads import billing, services
from monetization.ads import selectors as ads_selectors
from monetization.ads.models import MICROS, AdDecision, AdEvent, AdTopUp, Campaign
from monetization.models import Account, AccountKind, Source, Transaction
from monetization.tests.ads.factories import CampaignFactory, prepaid_credit
from monetization.tests.stripe_local import event_body, sign
from monetization.tests.test_webhooks import _no_remote_sync, _post  # noqa: F401 (autouse fixture)
from socialflow.tests.openapi import assert_conforms
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

BALANCE = "/api/v1/ads/balance"
TOP_UPS = "/api/v1/ads/balance/top-ups"
CAMPAIGNS = "/api/v1/ads/campaigns"


@pytest.fixture(autouse=True)
def _ads_settings(settings):
    settings.ADS_RESERVE_CPM_MINOR = 100
    settings.ADS_DECISION_TTL_S = 3600
    settings.ADS_TOP_UP_MIN_MINOR = 1000
    settings.ADS_TOP_UP_MAX_MINOR = 1_000_000
    settings.MONETIZATION_CURRENCY = "USD"


def _call(client, method, url, data=None):
    response = getattr(client, method.lower())(url, data, format="json")
    assert_conforms(response, method, url.split("?")[0])
    return response


def _balance(user) -> tuple[int, int, int]:
    balance = ads_selectors.advertiser_balance(advertiser=user, currency="USD")
    return balance.available.amount_minor, balance.reserved.amount_minor, balance.spent.amount_minor


def _platform_revenue() -> int:
    account = Account.objects.filter(owner=None, kind=AccountKind.PLATFORM_REVENUE, currency="USD").first()
    return ledger_selectors.account_balance(account).amount_minor if account else 0


def _intent(top_up, **overrides):
    return {
        "id": top_up.payment_intent_id,
        "object": "payment_intent",
        "amount": top_up.amount_minor,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"socialflow_ad_top_up": str(top_up.pk)},
        **overrides,
    }


def _send(client, endpoint, event_type, obj, event_id):
    body = event_body(event_type, obj, event_id=event_id)
    assert _post(client, body, sign(body, endpoint.secret)).status_code == 200


def _new_campaign(video, **overrides):
    now = timezone.now()
    return {
        "name": "Launch",
        "creative": video.pk,
        "budget": 5000,
        "bid_cpm": 450,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        "click_url": "https://example.com/launch",
        **overrides,
    }


def _assert_books_balance():
    assert set(ledger_selectors.ledger_totals().values()) <= {0}
    assert ledger_selectors.ledger_unbalanced_transaction_ids() == []
    # Each advertiser's reserve is what their campaigns hold and have not been billed.
    for advertiser_id in Campaign.objects.values_list("advertiser_id", flat=True).distinct():
        held = sum(c.funded_minor - c.billed_minor for c in Campaign.objects.filter(advertiser_id=advertiser_id))
        reserved = Account.objects.filter(owner_id=advertiser_id, kind=AccountKind.ADVERTISER_RESERVED).first()
        assert (ledger_selectors.account_balance(reserved).amount_minor if reserved else 0) == held


# --- top-ups --------------------------------------------------------------------------------------


def test_it_tops_up_by_card_through_the_signed_webhook_once(client, endpoint, alice):
    api = bearer_client(alice)
    created = _call(api, "POST", TOP_UPS, {"amount": 5000})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["amount"] == {"amount": 5000, "currency": "usd"} and body["status"] == "pending"
    assert body["client_secret"] and body["publishable_key"].startswith("pk_")
    top_up = AdTopUp.objects.get(pk=body["id"])
    assert top_up.payment_intent_id.startswith("pi_")
    assert _balance(alice) == (0, 0, 0)

    _send(client, endpoint, "payment_intent.succeeded", _intent(top_up), "evt_top_up")
    top_up.refresh_from_db()
    assert top_up.status == AdTopUp.Status.PAID and top_up.paid_at
    assert _balance(alice) == (5000, 0, 0)

    # The same event replayed, and Stripe delivering the intent again as another event: no second credit.
    _send(client, endpoint, "payment_intent.succeeded", _intent(top_up), "evt_top_up")
    _send(client, endpoint, "payment_intent.succeeded", _intent(top_up), "evt_top_up_again")
    assert _balance(alice) == (5000, 0, 0)
    assert Transaction.objects.filter(source=Source.AD_TOP_UP).count() == 1
    assert _call(api, "GET", BALANCE).json() == {
        "available": {"amount": 5000, "currency": "usd"},
        "reserved": {"amount": 0, "currency": "usd"},
        "spent": {"amount": 0, "currency": "usd"},
        "refundable": {"amount": 5000, "currency": "usd"},
    }
    _assert_books_balance()


def test_it_does_not_credit_a_payment_that_does_not_match_or_failed(client, endpoint, alice):
    short, failing = (billing.top_up_create(advertiser=alice, amount_minor=5000) for _ in range(2))
    _send(client, endpoint, "payment_intent.succeeded", _intent(short, amount=100), "evt_short")
    _send(client, endpoint, "payment_intent.payment_failed", _intent(failing, status="failed"), "evt_failed")
    assert set(AdTopUp.objects.values_list("status", flat=True)) == {"pending", "failed"}
    failing.refresh_from_db()
    assert failing.status == AdTopUp.Status.FAILED
    assert _balance(alice) == (0, 0, 0)


def test_a_tips_payment_is_still_the_tips(client, endpoint, pending_tip, alice):
    tip_intent = {
        "id": pending_tip.payment_intent_id,
        "object": "payment_intent",
        "amount": 500,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"socialflow_tip": str(pending_tip.pk)},
    }
    _send(client, endpoint, "payment_intent.succeeded", tip_intent, "evt_tip")
    pending_tip.refresh_from_db()
    assert pending_tip.status == "paid"
    assert _balance(alice) == (0, 0, 0)


@pytest.mark.parametrize("amount", [0, -5, 999, 1_000_001, "lots", None, 12.5])
def test_bad_top_ups_are_400(local_stripe, amount):
    response = _call(bearer_client(UserFactory()), "POST", TOP_UPS, {"amount": amount})
    assert response.status_code == 400, response.json()
    assert AdTopUp.objects.count() == 0


def test_the_balance_and_top_ups_are_yours_alone(client):
    advertiser, stranger = UserFactory(), UserFactory()
    for amount in (1000, 2000, 3000):
        prepaid_credit(advertiser, amount)
    assert _call(client, "GET", BALANCE).status_code in (401, 403)
    assert _call(client, "GET", TOP_UPS).status_code in (401, 403)
    other = bearer_client(stranger)
    assert _call(other, "GET", TOP_UPS).json()["results"] == []
    assert _call(other, "GET", BALANCE).json()["available"]["amount"] == 0


def test_the_top_up_list_is_paged_newest_first_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    advertiser = UserFactory()
    for amount in (1000, 2000, 3000, 4000, 5000):
        prepaid_credit(advertiser, amount)
    api = bearer_client(advertiser)
    with django_assert_max_num_queries(4):
        page = _call(api, "GET", f"{TOP_UPS}?page_size=3").json()
    assert [row["amount"]["amount"] for row in page["results"]] == [5000, 4000, 3000]
    assert {row["status"] for row in page["results"]} == {"paid"}
    assert {row["client_secret"] for row in page["results"]} == {""}  # only a pending one needs it
    rest = _call(api, "GET", page["next"].split("testserver")[-1]).json()
    assert [row["amount"]["amount"] for row in rest["results"]] == [2000, 1000]
    with django_assert_max_num_queries(3):
        assert _call(api, "GET", BALANCE).json()["available"]["amount"] == 15_000


# --- reservations ---------------------------------------------------------------------------------


def test_a_campaign_is_refused_without_the_funds_for_its_budget():
    creative = VideoFactory()
    prepaid_credit(creative.author, 4999)
    response = _call(bearer_client(creative.author), "POST", CAMPAIGNS, _new_campaign(creative))
    assert response.status_code == 409, response.json()
    error = response.json()
    assert "insufficient_balance" in str(error) and "top it up" in str(error)
    assert Campaign.objects.count() == 0
    assert _balance(creative.author) == (4999, 0, 0)


def test_creating_and_editing_a_campaign_reserves_and_releases_its_budget():
    creative = VideoFactory()
    advertiser = creative.author
    prepaid_credit(advertiser, 9000)
    api = bearer_client(advertiser)
    created = _call(api, "POST", CAMPAIGNS, _new_campaign(creative)).json()
    assert _balance(advertiser) == (4000, 5000, 0)
    url = f"{CAMPAIGNS}/{created['id']}"

    refused = _call(api, "PATCH", url, {"budget": 9001, "name": "Bigger"})
    assert refused.status_code == 409 and "insufficient_balance" in str(refused.json())
    campaign = Campaign.objects.get(pk=created["id"])
    assert (campaign.budget_minor, campaign.name, campaign.funded_minor) == (5000, "Launch", 5000)
    assert _balance(advertiser) == (4000, 5000, 0)

    assert _call(api, "PATCH", url, {"budget": 9000}).status_code == 200
    assert _balance(advertiser) == (0, 9000, 0)
    assert _call(api, "PATCH", url, {"budget": 2000}).status_code == 200
    assert _balance(advertiser) == (7000, 2000, 0)
    assert _call(api, "PATCH", url, {"budget": 9000}).status_code == 200  # the same amounts again: new keys
    assert _balance(advertiser) == (0, 9000, 0)
    assert Transaction.objects.filter(source=Source.AD_BUDGET).count() == 4
    _assert_books_balance()


def test_the_budget_never_goes_below_what_was_spent():
    campaign = CampaignFactory(budget_minor=5000, spent_micros=3000 * MICROS)
    api = bearer_client(campaign.advertiser)
    response = _call(api, "PATCH", f"{CAMPAIGNS}/{campaign.pk}", {"budget": 2999})
    assert response.status_code == 400 and "budget" in response.json()
    assert _balance(campaign.advertiser) == (0, 5000, 0)


def test_other_advertisers_campaigns_stay_404_and_cost_nothing():
    campaign = CampaignFactory()
    stranger = UserFactory()
    prepaid_credit(stranger, 50_000)
    response = _call(bearer_client(stranger), "PATCH", f"{CAMPAIGNS}/{campaign.pk}", {"budget": 40_000})
    assert response.status_code == 404
    assert _balance(stranger) == (50_000, 0, 0)


def test_rejecting_a_campaign_releases_the_unspent_rest_and_its_ads_in_flight_are_free():
    moderator = UserFactory(role="moderator")
    campaign = CampaignFactory(budget_minor=10_000, spent_micros=2500 * MICROS + 500_000)
    decision = AdDecision.objects.create(campaign=campaign, video=VideoFactory(), viewer_key="u:1", price_cpm_minor=500)
    services.campaign_reject(campaign=campaign, by=moderator, reason="Misleading")
    assert _balance(campaign.advertiser) == (7500, 2500, 0)  # the spent 2500.5: 2500 stays to be billed

    event, _ = services.ad_event_record(decision_id=decision.pk, kind=AdEvent.Type.IMPRESSION)
    assert event.charged_micros == 0
    assert billing.campaigns_bill() == 1
    assert _balance(campaign.advertiser) == (7500, 0, 2500)
    assert billing.campaigns_bill() == 0
    _assert_books_balance()


def test_an_ended_campaign_releases_its_rest_once_its_ads_can_no_longer_be_charged():
    campaign = CampaignFactory(budget_minor=10_000, spent_micros=1234 * MICROS)
    ended = campaign.ends_at
    billing.campaigns_bill(now=ended + timedelta(minutes=30))  # events of its last ads still count
    assert _balance(campaign.advertiser) == (0, 10_000 - 1234, 1234)
    Campaign.objects.filter(pk=campaign.pk).update(spent_micros=1300 * MICROS)  # a late impression
    assert billing.campaigns_bill(now=ended + timedelta(hours=1)) == 1
    assert _balance(campaign.advertiser) == (10_000 - 1300, 0, 1300)
    assert billing.campaigns_bill(now=ended + timedelta(days=1)) == 0
    campaign.refresh_from_db()
    assert (campaign.funded_minor, campaign.billed_minor) == (1300, 1300)

    # Moved on again by its advertiser: it holds its budget again (from the balance).
    services.campaign_update(campaign=campaign, ends_at=timezone.now() + timedelta(days=3))
    assert _balance(campaign.advertiser) == (10_000 - 1300 - (10_000 - 1300), 10_000 - 1300, 1300)
    _assert_books_balance()


def test_a_rejected_campaign_sent_back_to_review_must_be_funded_again():
    moderator = UserFactory(role="moderator")
    campaign = CampaignFactory(budget_minor=5000)
    services.campaign_reject(campaign=campaign, by=moderator, reason="Misleading")
    assert _balance(campaign.advertiser) == (5000, 0, 0)
    services.campaign_update(campaign=campaign, target_tags=["news"])
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING
    assert _balance(campaign.advertiser) == (0, 5000, 0)


# --- spend ----------------------------------------------------------------------------------------


def test_spend_is_posted_in_whole_units_exactly_and_a_rerun_posts_nothing():
    campaign = CampaignFactory(budget_minor=10_000)
    Campaign.objects.filter(pk=campaign.pk).update(spent_micros=1234 * MICROS + 567_890)
    assert tasks.post_ad_spend() == 1
    assert _balance(campaign.advertiser) == (0, 10_000 - 1234, 1234)
    assert _platform_revenue() == 1234
    assert tasks.post_ad_spend() == 0  # the .56789 waits for more
    assert Transaction.objects.filter(source=Source.AD_SPEND).count() == 1

    Campaign.objects.filter(pk=campaign.pk).update(spent_micros=1235 * MICROS + 67_890)  # +0.5: carried 1.06789
    assert billing.campaign_bill(campaign_id=campaign.pk) is True
    assert billing.campaign_bill(campaign_id=campaign.pk) is False
    assert _balance(campaign.advertiser) == (0, 10_000 - 1235, 1235)
    assert _platform_revenue() == 1235
    keys = list(
        Transaction.objects.filter(source=Source.AD_SPEND).order_by("id").values_list("idempotency_key", flat=True)
    )
    assert keys == [f"ad-spend:{campaign.pk}:1234", f"ad-spend:{campaign.pk}:1235"]
    _assert_books_balance()


def test_impressions_through_the_api_are_billed_to_the_platform(settings):
    settings.ADS_RESERVE_CPM_MINOR = 700  # a lone bidder clears at the reserve: 0.7 cent an impression
    video, viewer = VideoFactory(), UserFactory()
    campaign = CampaignFactory(budget_minor=1000, bid_cpm_minor=700)
    api = bearer_client(viewer)
    for _ in range(3):
        decision = _call(api, "GET", f"/api/v1/ads/serve?video={video.pk}").json()
        _call(api, "POST", "/api/v1/ads/events", {"decision_id": decision["decision_id"], "type": "impression"})
    campaign.refresh_from_db()
    assert campaign.spent_micros == 3 * 700_000  # 2.1 cents
    assert billing.campaigns_bill() == 1
    assert _balance(campaign.advertiser) == (0, 998, 2)
    assert _platform_revenue() == 2
    _assert_books_balance()


def test_an_unfunded_campaign_is_never_billed_more_than_it_holds():
    campaign = CampaignFactory(funded=False, spent_micros=50 * MICROS)
    assert billing.campaigns_bill() == 0
    assert _platform_revenue() == 0 and _balance(campaign.advertiser) == (0, 0, 0)


def test_the_spend_task_is_on_the_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["ads-post-spend"]
    assert entry["task"] == "monetization.tasks.post_ad_spend"


def test_advertiser_money_is_not_a_creators_earnings():
    campaign = CampaignFactory()
    assert ledger_selectors.earnings_balances(user=campaign.advertiser) == []
    assert ledger_selectors.earnings_by_source(user=campaign.advertiser) == []
    assert not ledger_selectors.earnings_entries(user=campaign.advertiser).exists()


# --- admin ----------------------------------------------------------------------------------------


def test_finance_staff_see_top_ups_and_balances_read_only(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    campaign = CampaignFactory(budget_minor=5000)
    prepaid_credit(campaign.advertiser, 1234)
    top_ups = client.get("/admin/monetization/adtopup/")
    assert top_ups.status_code == 200 and campaign.advertiser.username in top_ups.content.decode()
    balances = client.get("/admin/monetization/advertiseraccount/", {"kind": "advertiser_prepaid"})
    page = balances.content.decode()
    assert balances.status_code == 200 and "1234" in page and campaign.advertiser.username in page
    assert client.get("/admin/monetization/adtopup/add/").status_code == 403
    top_up = AdTopUp.objects.first()
    assert client.post(f"/admin/monetization/adtopup/{top_up.pk}/delete/").status_code == 403

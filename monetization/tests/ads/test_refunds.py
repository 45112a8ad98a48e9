"""Refunds of an advertiser's unused prepaid balance, against the local Stripe-compatible server:
to the cards of the paid top-ups, newest first, never above a top-up's remaining amount nor above
what running campaigns leave refundable; posted to the ledger once; refunds made on Stripe's
dashboard caught up by the signed ``charge.refunded`` webhook; a top-up Stripe refuses skipped.
Concurrent refunds: test_postgres.py."""

from datetime import timedelta

import pytest
import stripe
from django.utils import timezone
from djstripe.models import Event as StripeEvent

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from monetization import selectors as ledger_selectors
from monetization import webhooks
from monetization.ads import billing
from monetization.ads import selectors as ads_selectors
from monetization.ads.models import MICROS, AdRefund, AdRefundPart, AdTopUp, Campaign
from monetization.devstripe import resources as devstripe
from monetization.models import Source, Transaction
from monetization.tests.ads.factories import paid_top_up
from monetization.tests.ads.test_billing import (  # noqa: F401 (_ads_settings: an autouse fixture)
    _ads_settings,
    _assert_books_balance,
    _balance,
    _call,
    _new_campaign,
)
from monetization.tests.stripe_local import event_body, sign, wait_for
from monetization.tests.test_webhooks import _no_remote_sync, _post  # noqa: F401 (autouse fixture)
from socialflow.core.exceptions import InvalidInput
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

BALANCE = "/api/v1/ads/balance"
REFUNDS = "/api/v1/ads/balance/refunds"
STRIPE_KEY = "sk_test_socialflowlocalstripe000"


def _refunded_on_stripe(local_stripe, top_up) -> int:
    return local_stripe.call(
        lambda: devstripe.PaymentIntent._api_retrieve(top_up.payment_intent_id).latest_charge.amount_refunded
    )


def _dashboard_refund(top_up, amount_minor: int) -> None:
    """Finance staff refunding a top-up's payment on Stripe's dashboard (not through the app)."""
    stripe.Refund.create(payment_intent=top_up.payment_intent_id, amount=amount_minor, api_key=STRIPE_KEY)


def _charge_refunded(client, endpoint, top_up, total: int, event_id: str) -> None:
    charge = {
        "id": f"ch_{top_up.pk}",
        "object": "charge",
        "payment_intent": top_up.payment_intent_id,
        "amount": top_up.amount_minor,
        "amount_refunded": total,
        "currency": "usd",
        "refunded": total == top_up.amount_minor,
    }
    body = event_body("charge.refunded", charge, event_id=event_id)
    assert _post(client, body, sign(body, endpoint.secret)).status_code == 200


def _refundable(user) -> int:
    return ads_selectors.advertiser_refundable(advertiser=user, currency="USD").amount_minor


# --- the API --------------------------------------------------------------------------------------


def test_it_refunds_unused_balance_to_the_newest_top_ups_first(local_stripe):
    advertiser = UserFactory()
    older, newer = paid_top_up(local_stripe, advertiser, 3000), paid_top_up(local_stripe, advertiser, 2000)
    api = bearer_client(advertiser)
    assert _call(api, "GET", BALANCE).json()["refundable"] == {"amount": 5000, "currency": "usd"}

    created = _call(api, "POST", REFUNDS, {"amount": 4000})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["requested"] == body["amount"] == {"amount": 4000, "currency": "usd"}
    assert body["origin"] == "advertiser"
    assert body["parts"] == [
        {"top_up": str(newer.pk), "amount": 2000, "status": "succeeded"},
        {"top_up": str(older.pk), "amount": 2000, "status": "succeeded"},
    ]
    assert (_refunded_on_stripe(local_stripe, newer), _refunded_on_stripe(local_stripe, older)) == (2000, 2000)
    assert sorted(AdTopUp.objects.values_list("refunded_minor", flat=True)) == [2000, 2000]
    assert _balance(advertiser) == (1000, 0, 0)
    posted = Transaction.objects.get(source=Source.REFUND)
    assert posted.idempotency_key == f"ad-refund:{body['id']}"

    # Without an amount: all that is refundable (what is left of the older top-up); then nothing is.
    rest = _call(api, "POST", REFUNDS, {}).json()
    assert rest["amount"]["amount"] == 1000 and rest["parts"] == [
        {"top_up": str(older.pk), "amount": 1000, "status": "succeeded"}
    ]
    assert _refunded_on_stripe(local_stripe, older) == 3000
    refused = _call(api, "POST", REFUNDS, {})
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_balance"
    assert _balance(advertiser) == (0, 0, 0)
    assert _call(api, "GET", BALANCE).json()["refundable"]["amount"] == 0
    _assert_books_balance()
    assert ledger_selectors.ledger_totals() == {"USD": 0}


def test_running_campaigns_budgets_are_not_refundable_until_they_end(local_stripe):
    creative = VideoFactory()
    advertiser = creative.author
    paid_top_up(local_stripe, advertiser, 10_000)
    api = bearer_client(advertiser)
    campaign = _call(api, "POST", "/api/v1/ads/campaigns", _new_campaign(creative, budget=6000)).json()
    assert _refundable(advertiser) == 4000

    too_much = _call(api, "POST", REFUNDS, {"amount": 4001})
    assert too_much.status_code == 409, too_much.json()
    assert too_much.json()["code"] == "insufficient_balance" and "$40.00" in too_much.json()["detail"]
    assert _call(api, "POST", REFUNDS, {"amount": 4000}).status_code == 201
    assert _balance(advertiser) == (0, 6000, 0)

    # The campaign spends $12.34 and ends; once the billing job releases its rest, that is refundable.
    ends_at = timezone.now()
    Campaign.objects.filter(pk=campaign["id"]).update(
        spent_micros=1234 * MICROS, ends_at=ends_at, starts_at=ends_at - timedelta(days=1)
    )
    assert _refundable(advertiser) == 0
    billing.campaigns_bill(now=ends_at + timedelta(hours=2))
    assert _balance(advertiser) == (6000 - 1234, 0, 1234)
    rest = _call(api, "POST", REFUNDS, {}).json()
    assert rest["amount"]["amount"] == 4766
    assert _balance(advertiser) == (0, 0, 1234)
    _assert_books_balance()


@pytest.mark.parametrize("amount", [0, -5, "lots", 12.5, None, True, 2**63])
def test_bad_refunds_are_400(local_stripe, amount):
    advertiser = UserFactory()
    paid_top_up(local_stripe, advertiser, 2000)
    response = _call(bearer_client(advertiser), "POST", REFUNDS, {"amount": amount})
    assert response.status_code == 400, response.json()
    assert "amount" in response.json()
    assert AdRefund.objects.count() == 0 and _balance(advertiser) == (2000, 0, 0)


def test_the_service_refuses_what_is_not_a_positive_integer(local_stripe):
    advertiser = UserFactory()
    for amount in (0, -1, True, "100", 1.5):
        with pytest.raises(InvalidInput) as refused:
            billing.balance_refund(advertiser=advertiser, amount_minor=amount)
        assert refused.value.field == "amount"


def test_refunds_are_yours_alone_and_listed_newest_first_in_a_fixed_number_of_queries(
    local_stripe, client, django_assert_max_num_queries
):
    advertiser, stranger = UserFactory(), UserFactory()
    paid_top_up(local_stripe, advertiser, 5000)
    for amount in (1000, 1100, 1200):
        billing.balance_refund(advertiser=advertiser, amount_minor=amount)
    assert _call(client, "GET", REFUNDS).status_code in (401, 403)
    assert _call(client, "POST", REFUNDS, {"amount": 1000}).status_code in (401, 403)
    assert _call(bearer_client(stranger), "GET", REFUNDS).json()["results"] == []
    nothing = _call(bearer_client(stranger), "POST", REFUNDS, {"amount": 1000})
    assert nothing.status_code == 409 and "$0.00" in nothing.json()["detail"]

    api = bearer_client(advertiser)
    with django_assert_max_num_queries(4):  # authentication (2), the page, its parts
        page = _call(api, "GET", f"{REFUNDS}?page_size=2").json()
    assert [row["amount"]["amount"] for row in page["results"]] == [1200, 1100]
    assert all(len(row["parts"]) == 1 for row in page["results"])
    rest = _call(api, "GET", page["next"].split("testserver")[-1]).json()
    assert [row["amount"]["amount"] for row in rest["results"]] == [1000]
    assert _balance(advertiser) == (5000 - 3300, 0, 0)


# --- Stripe's side --------------------------------------------------------------------------------


def test_our_own_refunds_charge_refunded_webhook_posts_nothing_more(local_stripe, client, endpoint):
    advertiser = UserFactory()
    top_up = paid_top_up(local_stripe, advertiser, 5000)
    billing.balance_refund(advertiser=advertiser, amount_minor=1500)
    _charge_refunded(client, endpoint, top_up, 1500, "evt_ours")
    _charge_refunded(client, endpoint, top_up, 1500, "evt_ours_again")
    assert AdRefund.objects.count() == 1
    assert Transaction.objects.filter(source=Source.REFUND).count() == 1
    assert _balance(advertiser) == (3500, 0, 0)


def test_a_top_up_refunded_on_stripes_dashboard_comes_out_of_the_balance_once(local_stripe, client, endpoint):
    advertiser = UserFactory()
    top_up = paid_top_up(local_stripe, advertiser, 5000)
    _dashboard_refund(top_up, 1500)
    _charge_refunded(client, endpoint, top_up, 1500, "evt_dashboard")
    _charge_refunded(client, endpoint, top_up, 1500, "evt_dashboard")  # replayed
    _charge_refunded(client, endpoint, top_up, 1500, "evt_dashboard_again")  # redelivered as a new event
    refund = AdRefund.objects.get()
    assert (refund.origin, refund.amount_minor) == (AdRefund.Origin.STRIPE, 1500)
    assert _balance(advertiser) == (3500, 0, 0)
    top_up.refresh_from_db()
    assert top_up.refunded_minor == 1500

    # Ours next, from what remains of the top-up, and its webhook: one posting each.
    billing.balance_refund(advertiser=advertiser, amount_minor=1000)
    _charge_refunded(client, endpoint, top_up, 2500, "evt_ours")
    assert _balance(advertiser) == (2500, 0, 0) and _refunded_on_stripe(local_stripe, top_up) == 2500
    keys = set(Transaction.objects.filter(source=Source.REFUND).values_list("idempotency_key", flat=True))
    assert keys == {f"ad-top-up-refund:{top_up.pk}:1500", f"ad-refund:{AdRefund.objects.latest('id').pk}"}
    _assert_books_balance()


def test_a_top_up_stripe_refuses_to_refund_is_skipped_for_an_older_one(local_stripe, client, endpoint):
    advertiser = UserFactory()
    older, newer = paid_top_up(local_stripe, advertiser, 3000), paid_top_up(local_stripe, advertiser, 2000)
    _dashboard_refund(newer, 2000)  # its webhook has not arrived yet: we still think it refundable
    refund = billing.balance_refund(advertiser=advertiser, amount_minor=2000)
    parts = list(refund.parts.values_list("top_up_id", "amount_minor", "status"))
    assert parts == [(newer.pk, 2000, AdRefundPart.Status.REFUSED), (older.pk, 2000, AdRefundPart.Status.SUCCEEDED)]
    assert refund.amount_minor == 2000 and refund.parts.first().failure_message
    assert _refunded_on_stripe(local_stripe, older) == 2000
    assert _balance(advertiser) == (3000, 0, 0)

    # The dashboard refund's webhook then takes its 2000 out as well: 4000 of 5000 went back.
    _charge_refunded(client, endpoint, newer, 2000, "evt_dashboard")
    assert _balance(advertiser) == (1000, 0, 0) and _refundable(advertiser) == 1000
    _assert_books_balance()


def test_a_refund_stripe_refuses_altogether_records_nothing(local_stripe):
    advertiser = UserFactory()
    top_up = paid_top_up(local_stripe, advertiser, 2000)
    _dashboard_refund(top_up, 2000)
    response = _call(bearer_client(advertiser), "POST", REFUNDS, {"amount": 500})
    assert response.status_code == 400 and response.json()["code"] == "charge_already_refunded", response.json()
    assert AdRefund.objects.count() == 0 and AdRefundPart.objects.count() == 0
    assert _balance(advertiser) == (2000, 0, 0)
    top_up.refresh_from_db()
    assert top_up.refunded_minor == 0


def test_a_tips_refund_is_still_the_tips(client, endpoint, pending_tip):
    pending_tip.status = "paid"
    pending_tip.save(update_fields=["status"])
    charge = {
        "id": "ch_tip",
        "object": "charge",
        "payment_intent": pending_tip.payment_intent_id,
        "amount_refunded": 100,
    }
    body = event_body("charge.refunded", charge, event_id="evt_tip_refund")
    assert _post(client, body, sign(body, endpoint.secret)).status_code == 200
    pending_tip.refresh_from_db()
    assert pending_tip.refunded_minor == 100
    assert AdRefund.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_refund_through_local_stripe_and_its_signed_webhook(local_stripe, live_server, settings):
    """End to end: the local server delivers the refund's ``charge.refunded`` to our live endpoint;
    it changes nothing (ours is posted already)."""
    settings.SITE_URL = live_server.url
    endpoint = webhooks.webhook_endpoint_ensure()
    local_stripe.webhooks_to(webhooks.webhook_url(), endpoint.secret)
    try:
        advertiser = UserFactory()
        top_up = billing.top_up_create(advertiser=advertiser, amount_minor=5000)
        local_stripe.pay(top_up.payment_intent_id)
        wait_for(lambda: AdTopUp.objects.filter(pk=top_up.pk, status=AdTopUp.Status.PAID).exists())
        assert _call(bearer_client(advertiser), "POST", REFUNDS, {"amount": 3000}).status_code == 201
        wait_for(lambda: StripeEvent.objects.filter(type="charge.refunded").exists())
        assert AdRefund.objects.count() == 1
        assert _balance(advertiser) == (2000, 0, 0)
        assert ledger_selectors.ledger_totals() == {"USD": 0}
    finally:
        local_stripe.quiesce()


def test_finance_staff_see_refunds_read_only(local_stripe, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    advertiser = UserFactory()
    paid_top_up(local_stripe, advertiser, 5000)
    refund = billing.balance_refund(advertiser=advertiser, amount_minor=1234)
    listed = client.get("/admin/monetization/adrefund/")
    assert listed.status_code == 200 and advertiser.username in listed.content.decode()
    page = client.get(f"/admin/monetization/adrefund/{refund.pk}/change/").content.decode()
    assert refund.parts.get().stripe_refund_id in page
    assert client.get("/admin/monetization/adrefund/add/").status_code == 403
    assert client.post(f"/admin/monetization/adrefund/{refund.pk}/delete/").status_code == 403

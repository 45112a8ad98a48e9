"""Membership payments after the first one: webhooks arriving out of order, a fan who paid two
Checkout pages for one creator, refunds and disputes of a membership's charge, and creator plans'
invoices in the ledger."""

from datetime import timedelta

import pytest
import requests
import stripe
from django.conf import settings as settings_module
from django.utils import timezone

from monetization import gateway, selectors, services, webhooks
from monetization.models import (
    Account,
    AccountKind,
    Dispute,
    Membership,
    MembershipPayment,
    Source,
    Transaction,
)
from monetization.tests.factories import CreatorSubscriptionFactory
from monetization.tests.stripe_local import wait_for
from socialflow.core import access


def _pending(user) -> int:
    balances = selectors.earnings_balances(user=user)
    return balances[0].pending.amount_minor if balances else 0


@pytest.fixture
def tier(local_stripe, alice):
    return services.tier_create(creator=alice, name="Fan", price_minor=1000)


def _subscription(tier, fan, subscription_id="sub_1", status="active"):
    return {
        "id": subscription_id,
        "status": status,
        "metadata": {"socialflow_tier": tier.pk, "socialflow_user": fan.pk},
    }


def _invoice(invoice_id="in_1", subscription_id="sub_1", amount=1000, intent="pi_m1"):
    return {
        "id": invoice_id,
        "subscription": subscription_id,
        "amount_paid": amount,
        "currency": "usd",
        "payment_intent": intent,
    }


# --- out of order ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_late_subscription_event_does_not_undo_a_newer_one(tier, bob):
    now = timezone.now()
    services.stripe_subscription_changed(_subscription(tier, bob, status="past_due"), at=now)
    # The "active" update Stripe sent before the payment failed, delivered after it.
    services.stripe_subscription_changed(_subscription(tier, bob), at=now - timedelta(seconds=5))
    membership = Membership.objects.get()
    assert (membership.status, membership.state_at) == (Membership.Status.PAST_DUE, now)
    services.stripe_subscription_changed(_subscription(tier, bob), at=now + timedelta(seconds=5))
    assert Membership.objects.get().status == Membership.Status.ACTIVE


@pytest.mark.django_db
def test_canceled_is_final(tier, bob):
    now = timezone.now()
    services.stripe_subscription_deleted(_subscription(tier, bob), at=now)
    services.stripe_subscription_changed(_subscription(tier, bob), at=now + timedelta(seconds=5))
    # Nor does a renewal's invoice, however late, make a member again.
    services.stripe_invoice_paid(_invoice())
    assert Membership.objects.get().status == Membership.Status.CANCELED
    assert not access.is_member(bob, creator_id=tier.creator_id)


# --- payments, refunds, disputes ------------------------------------------------------------------


@pytest.mark.django_db
def test_each_paid_invoice_is_one_payment(tier, alice, bob):
    services.stripe_subscription_changed(_subscription(tier, bob))
    for _ in range(2):  # delivered twice
        services.stripe_invoice_paid(_invoice())
    payment = MembershipPayment.objects.get()
    assert (payment.amount_minor, payment.platform_fee_minor, payment.payment_intent_id) == (1000, 100, "pi_m1")
    assert (payment.creator, payment.status) == (alice, MembershipPayment.Status.PAID)
    assert _pending(alice) == 900


@pytest.mark.django_db
def test_a_membership_refund_made_on_stripe_takes_the_shares_back(tier, alice, bob):
    services.stripe_subscription_changed(_subscription(tier, bob))
    services.stripe_invoice_paid(_invoice())
    charge = {"id": "ch_m1", "payment_intent": "pi_m1", "amount_refunded": 400}
    services.stripe_charge_refunded(charge)
    services.stripe_charge_refunded(charge)  # a replay
    payment = MembershipPayment.objects.get()
    assert (payment.refunded_minor, payment.status) == (400, MembershipPayment.Status.PARTIALLY_REFUNDED)
    assert _pending(alice) == 900 - 360  # 4.00 back, 10 % of it from the platform's fee
    services.stripe_charge_refunded({**charge, "amount_refunded": 1000})
    assert MembershipPayment.objects.get().status == MembershipPayment.Status.REFUNDED
    assert _pending(alice) == 0
    assert selectors.ledger_unbalanced_transaction_ids() == []


@pytest.mark.django_db
def test_a_disputed_membership_charge_is_taken_back_and_given_back_when_won(tier, alice, bob, settings):
    settings.MONETIZATION_DISPUTE_FEE_MINOR = 1500
    services.stripe_subscription_changed(_subscription(tier, bob))
    services.stripe_invoice_paid(_invoice())
    dispute = {"id": "dp_m1", "amount": 1000, "currency": "usd", "payment_intent": "pi_m1", "reason": "fraudulent"}
    services.stripe_dispute_created({**dispute, "status": "needs_response"})
    services.stripe_dispute_created({**dispute, "status": "needs_response"})  # a replay

    opened = Dispute.objects.get()
    assert (opened.membership_payment.stripe_invoice_id, opened.tip, opened.fee_minor) == ("in_1", None, 1500)
    assert MembershipPayment.objects.get().status == MembershipPayment.Status.DISPUTED
    assert _pending(alice) == 0
    fees = services.platform_account(AccountKind.PLATFORM_FEES, "USD")
    assert selectors.account_balance(fees).amount_minor == 100 - 100 - 1500
    # A disputed charge cannot be refunded as well.
    services.stripe_charge_refunded({"id": "ch_m1", "payment_intent": "pi_m1", "amount_refunded": 1000})
    assert Transaction.objects.filter(source=Source.REFUND).count() == 0

    services.stripe_dispute_closed({**dispute, "status": "won"})
    services.stripe_dispute_closed({**dispute, "status": "won"})
    assert MembershipPayment.objects.get().status == MembershipPayment.Status.PAID
    assert _pending(alice) == 900
    assert selectors.account_balance(fees).amount_minor == 100
    assert Transaction.objects.filter(source=Source.CHARGEBACK).count() == 2


@pytest.mark.django_db
def test_a_lost_membership_dispute_keeps_it_taken(tier, alice, bob):
    services.stripe_subscription_changed(_subscription(tier, bob))
    services.stripe_invoice_paid(_invoice())
    dispute = {"id": "dp_m2", "amount": 1000, "currency": "usd", "payment_intent": "pi_m1"}
    services.stripe_dispute_created({**dispute, "status": "needs_response"})
    services.stripe_dispute_closed({**dispute, "status": "lost"})
    assert MembershipPayment.objects.get().status == MembershipPayment.Status.CHARGED_BACK
    assert Dispute.objects.get().status == Dispute.Status.LOST
    assert _pending(alice) == 0


# --- two Checkout pages paid ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_second_subscription_to_one_creator_is_canceled_and_refunded(
    local_stripe, live_server, settings, alice, bob, request
):
    settings.SITE_URL = live_server.url
    endpoint = webhooks.webhook_endpoint_ensure()
    local_stripe.webhooks_to(webhooks.webhook_url(), endpoint.secret)
    request.addfinalizer(local_stripe.quiesce)
    fan = services.tier_create(creator=alice, name="Fan", price_minor=1000)
    super_fan = services.tier_create(creator=alice, name="Super fan", price_minor=2000)
    # Two tabs: both Checkout pages are opened before either is paid.
    pages = [services.membership_checkout(user=bob, creator_username="alice", tier_id=t.pk) for t in (fan, super_fan)]
    for page in pages:
        assert requests.post(page, allow_redirects=False, timeout=10).status_code == 303

    duplicate = wait_for(lambda: Membership.objects.filter(user=bob, duplicate_of__isnull=False).first())
    kept = Membership.objects.get(user=bob, duplicate_of__isnull=True)
    assert (kept.status, duplicate.duplicate_of, duplicate.status) == ("active", kept, "canceled")
    refunded = wait_for(
        lambda: MembershipPayment.objects.filter(membership=duplicate, status=MembershipPayment.Status.REFUNDED).first()
    )
    options = {"api_key": settings_module.STRIPE_SECRET_KEY}
    assert stripe.Subscription.retrieve(duplicate.stripe_subscription_id, **options)["status"] == "canceled"
    assert stripe.Subscription.retrieve(kept.stripe_subscription_id, **options)["status"] == "active"
    intent = stripe.PaymentIntent.retrieve(refunded.payment_intent_id, **options)
    charge = intent["latest_charge"]
    charge = stripe.Charge.retrieve(charge if isinstance(charge, str) else charge["id"], **options)
    assert charge["amount_refunded"] == refunded.amount_minor
    # The creator keeps one membership's payment: the first tab's or the second's, less 10 %.
    kept_payment = wait_for(lambda: MembershipPayment.objects.filter(membership=kept).first())
    wait_for(lambda: _pending(alice) == kept_payment.amount_minor * 9 // 10)
    assert access.is_member(bob, creator_id=alice.pk)
    assert alice.notifications.filter(kind="new_member").count() <= 1
    local_stripe.quiesce()  # the server's later webhooks would share SQLite with the re-run below
    assert services.membership_settle_duplicate(membership_id=duplicate.pk) == 0  # a re-run refunds nothing


# --- creator plans' invoices ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_invoice_is_platform_revenue_once(local_stripe, alice):
    sub = CreatorSubscriptionFactory(user=alice, plan="basic")
    invoice = {"id": "in_plan_1", "subscription": sub.stripe_subscription_id, "amount_paid": 999, "currency": "usd"}
    webhooks.HANDLERS["invoice.payment_succeeded"](invoice, event_id="evt_1")
    webhooks.HANDLERS["invoice.payment_succeeded"](invoice, event_id="evt_2")
    webhooks.HANDLERS["invoice.payment_succeeded"]({**invoice, "id": "in_trial", "amount_paid": 0}, event_id="evt_3")
    posted = Transaction.objects.get(source=Source.PLAN)
    assert posted.idempotency_key == "plan-invoice:in_plan_1"
    revenue = Account.objects.get(kind=AccountKind.PLATFORM_REVENUE, currency="USD")
    assert selectors.account_balance(revenue).amount_minor == 999
    assert selectors.earnings_balances(user=alice) == []  # not the creator's earning
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_a_plan_invoice_before_its_subscription_is_known_asks_stripe(monkeypatch, alice):
    # API 2025-03-31 and later: the subscription and its metadata are under ``parent``.
    monkeypatch.setattr(gateway, "subscription_retrieve", lambda sid: pytest.fail("the invoice carries the metadata"))
    invoice = {
        "id": "in_plan_2",
        "amount_paid": 1999,
        "currency": "usd",
        "parent": {
            "subscription_details": {
                "subscription": "sub_new",
                "metadata": {"socialflow_plan": "premium", "socialflow_user": str(alice.pk)},
            }
        },
    }
    webhooks.HANDLERS["invoice.payment_succeeded"](invoice, event_id="evt_1")
    assert Transaction.objects.get(source=Source.PLAN).idempotency_key == "plan-invoice:in_plan_2"
    # Older versions and the local server: retrieved.
    monkeypatch.setattr(
        gateway, "subscription_retrieve", lambda sid: {"id": sid, "metadata": {"socialflow_plan": "pro"}}
    )
    webhooks.HANDLERS["invoice.payment_succeeded"](
        {"id": "in_plan_3", "subscription": "sub_old", "amount_paid": 4999, "currency": "usd"}, event_id="evt_2"
    )
    assert Transaction.objects.filter(source=Source.PLAN).count() == 2


def test_invoice_shapes_of_both_api_versions():
    old = {"subscription": "sub_1", "payment_intent": "pi_1"}
    new = {
        "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {"a": "b"}}},
        "payments": {"data": [{"payment": {"type": "payment_intent", "payment_intent": "pi_1"}}]},
    }
    for invoice in (old, new):
        assert gateway.invoice_subscription_id(invoice) == "sub_1"
        assert gateway.invoice_payment_intent_id(invoice) == "pi_1"
    assert gateway.invoice_subscription_metadata(old) is None
    assert gateway.invoice_subscription_metadata(new) == {"a": "b"}
    assert gateway.invoice_payment_intent_id({}) == gateway.invoice_subscription_id({}) == ""

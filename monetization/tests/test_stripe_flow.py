"""End to end against the local Stripe-compatible server: a tip's PaymentIntent is paid, the
server pushes a signed webhook to our dj-stripe endpoint (a live server), the ledger is credited
once; refunds come back the same way."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from djstripe.models import Event as StripeEvent
from djstripe.models import WebhookEventTrigger

from accounts.tests.factories import UserFactory
from monetization import selectors, services, webhooks
from monetization.models import AccountKind, ConnectAccount, Payout, Tip
from monetization.tests.stripe_local import wait_for
from notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wired(local_stripe, live_server, settings):
    settings.SITE_URL = live_server.url
    endpoint = webhooks.webhook_endpoint_ensure()
    local_stripe.webhooks_to(webhooks.webhook_url(), endpoint.secret)
    yield local_stripe
    local_stripe.quiesce()


def test_tip_paid_through_local_stripe_credits_the_ledger_once(wired, alice, bob):
    tip = services.tip_create(fan=bob, to_username=alice.username, amount_minor=500, message="great stream")
    assert tip.client_secret.startswith(tip.payment_intent_id)
    wired.pay(tip.payment_intent_id)

    tip = wait_for(lambda: Tip.objects.filter(pk=tip.pk, status=Tip.Status.PAID).first())
    # 500: processing 2.9 % (15) + 30, platform 10 % (50), creator 405.
    assert (tip.processing_fee_minor, tip.platform_fee_minor, tip.net_minor) == (45, 50, 405)
    balances = selectors.earnings_balances(user=alice)
    assert balances[0].pending.amount_minor == 405
    assert selectors.ledger_totals() == {"USD": 0}
    wait_for(
        lambda: WebhookEventTrigger.objects.filter(
            valid=True, processed=True, event__type="payment_intent.succeeded"
        ).exists()
    )
    wait_for(lambda: Notification.objects.filter(recipient=alice, kind="tip_received").exists())


def test_refunds_through_local_stripe(wired, alice, bob):
    staff_user = UserFactory(is_staff=True)
    tip = services.tip_create(fan=bob, to_username=alice.username, amount_minor=1000)
    wired.pay(tip.payment_intent_id)
    tip = wait_for(lambda: Tip.objects.filter(pk=tip.pk, status=Tip.Status.PAID).first())

    services.tip_refund(tip=tip, amount_minor=300, by=staff_user)
    with pytest.raises(services.InvalidInput):
        services.tip_refund(tip=tip, amount_minor=701, by=staff_user)
    services.tip_refund(tip=tip, by=staff_user)  # the rest
    tip.refresh_from_db()
    assert (tip.status, tip.refunded_minor) == (Tip.Status.REFUNDED, 1000)
    # The charge.refunded webhooks arrive and post nothing more.
    wait_for(lambda: StripeEvent.objects.filter(type="charge.refunded").count() >= 2)
    pending = services.creator_account(alice, AccountKind.CREATOR_PENDING, "USD")
    # Credited 1000 - 59 - 100 = 841; refunds take back the creator's 900 (their share of the
    # whole, the processing fee is not returned): -59.
    assert selectors.account_balance(pending).amount_minor == -59
    assert selectors.ledger_totals() == {"USD": 0}


def test_tip_to_payout_through_local_stripe(wired, alice, bob, alice_client):
    """The whole path on the local server, every step confirmed by a real signed webhook: a tip is
    paid, matures, the creator onboards on Connect's hosted page, asks for a payout, the transfer
    is made and the payout marked sent."""
    tip = services.tip_create(fan=bob, to_username=alice.username, amount_minor=5000)
    wired.pay(tip.payment_intent_id)
    wait_for(lambda: Tip.objects.filter(pk=tip.pk, status=Tip.Status.PAID).exists())
    services.ledger_release_matured(now=timezone.now() + timedelta(days=8))
    available = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    assert selectors.account_balance(available).amount_minor == 5000 - 175 - 500

    url = alice_client.post("/api/v1/monetization/connect").json()["url"]
    assert requests.post(url, allow_redirects=False, timeout=10).status_code == 303
    wait_for(lambda: ConnectAccount.objects.filter(user=alice, payouts_enabled=True).exists())

    response = alice_client.post("/api/v1/monetization/payouts", {"amount": 4325}, format="json")
    assert response.status_code == 201, response.content
    wait_for(lambda: Payout.objects.filter(pk=response.json()["id"], status=Payout.Status.SENT).exists())
    assert selectors.account_balance(available).amount_minor == 0
    wait_for(lambda: alice.notifications.filter(kind="payout_sent").exists())
    assert selectors.ledger_totals() == {"USD": 0}

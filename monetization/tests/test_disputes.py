"""Chargebacks: Stripe's signed ``charge.dispute.*`` webhooks against the real endpoint. Opening a
dispute takes the amount (creator and platform in a refund's shares) and the dispute fee (platform
only) back once; won gives them back once; lost keeps them; replays post nothing twice."""

import pytest
from django.urls import reverse

from monetization import selectors, services
from monetization.models import Dispute, Source, Tip, Transaction
from monetization.tests.stripe_local import event_body, sign
from monetization.tests.test_webhooks import _intent, _no_remote_sync, _post  # noqa: F401 (autouse fixture)
from socialflow.core.exceptions import Conflict

pytestmark = pytest.mark.django_db


def _send(client, endpoint, event_type, obj, event_id):
    body = event_body(event_type, obj, event_id=event_id)
    assert _post(client, body, sign(body, endpoint.secret)).status_code == 200


def _dispute(tip, status="needs_response", amount=None, dispute_id="dp_1"):
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": tip.amount_minor if amount is None else amount,
        "currency": "usd",
        "charge": "ch_1",
        "payment_intent": tip.payment_intent_id,
        "reason": "fraudulent",
        "status": status,
    }


@pytest.fixture
def paid_tip(client, endpoint, pending_tip, settings):
    settings.MONETIZATION_DISPUTE_FEE_MINOR = 1500
    _send(client, endpoint, "payment_intent.succeeded", _intent(pending_tip), "evt_paid")
    pending_tip.refresh_from_db()
    assert pending_tip.status == Tip.Status.PAID
    return pending_tip


def _pending(user) -> int:
    return selectors.earnings_balances(user=user)[0].pending.amount_minor


def test_an_opened_dispute_takes_the_amount_and_the_fee_back_once(client, endpoint, paid_tip, alice):
    assert _pending(alice) == 405  # 500 - 45 processing - 50 platform
    for event_id in ("evt_dp_1", "evt_dp_1_again"):  # Stripe delivers twice
        _send(client, endpoint, "charge.dispute.created", _dispute(paid_tip), event_id)

    paid_tip.refresh_from_db()
    assert paid_tip.status == Tip.Status.DISPUTED
    dispute = Dispute.objects.get()
    assert (dispute.amount_minor, dispute.fee_minor, dispute.status) == (500, 1500, Dispute.Status.OPEN)
    assert Transaction.objects.filter(source=Source.CHARGEBACK).count() == 1
    # The creator gives back what a full refund would take (450 of the 500, of which 405 were
    # theirs: the processing fee was theirs to carry); the platform its 50 and the 15.00 fee.
    assert _pending(alice) == 405 - 450
    assert selectors.ledger_totals() == {"USD": 0}
    with pytest.raises(Conflict):
        services.tip_refund(tip=paid_tip, amount_minor=100)


def test_a_won_dispute_gives_everything_back_once(client, endpoint, paid_tip, alice):
    _send(client, endpoint, "charge.dispute.created", _dispute(paid_tip), "evt_open")
    for event_id in ("evt_won", "evt_won_again"):
        _send(client, endpoint, "charge.dispute.closed", _dispute(paid_tip, status="won"), event_id)

    paid_tip.refresh_from_db()
    assert paid_tip.status == Tip.Status.PAID
    assert Dispute.objects.get().status == Dispute.Status.WON
    assert _pending(alice) == 405
    assert Transaction.objects.filter(source=Source.CHARGEBACK).count() == 2  # the posting and its reversal
    assert selectors.ledger_totals() == {"USD": 0}


def test_a_lost_dispute_keeps_the_money_taken(client, endpoint, paid_tip, alice):
    _send(client, endpoint, "charge.dispute.created", _dispute(paid_tip), "evt_open")
    _send(client, endpoint, "charge.dispute.closed", _dispute(paid_tip, status="lost"), "evt_lost")

    paid_tip.refresh_from_db()
    assert paid_tip.status == Tip.Status.CHARGED_BACK
    assert Dispute.objects.get().status == Dispute.Status.LOST
    assert _pending(alice) == 405 - 450
    assert selectors.ledger_totals() == {"USD": 0}


def test_a_dispute_after_a_partial_refund_takes_only_what_remains(client, endpoint, paid_tip, alice):
    charge = {"id": "ch_1", "object": "charge", "payment_intent": paid_tip.payment_intent_id, "amount_refunded": 200}
    _send(client, endpoint, "charge.refunded", charge, "evt_refund")
    _send(client, endpoint, "charge.dispute.created", _dispute(paid_tip, amount=500), "evt_open")

    dispute = Dispute.objects.get()
    assert dispute.amount_minor == 300
    # Refund (180 of 200) and dispute (270 of 300) together take the creator's whole 450.
    assert _pending(alice) == 405 - 450
    assert selectors.ledger_totals() == {"USD": 0}
    _send(client, endpoint, "charge.dispute.closed", _dispute(paid_tip, status="won"), "evt_won")
    paid_tip.refresh_from_db()
    assert paid_tip.status == Tip.Status.PARTIALLY_REFUNDED
    assert _pending(alice) == 405 - 180


@pytest.mark.parametrize(
    "change",
    [{"payment_intent": "pi_not_ours"}, {"currency": "eur"}, {"amount": 0}, {"id": None}],
    ids=["not a tip", "other currency", "nothing disputed", "no id"],
)
def test_a_dispute_that_is_not_about_a_paid_tip_posts_nothing(client, endpoint, paid_tip, change):
    _send(client, endpoint, "charge.dispute.created", {**_dispute(paid_tip), **change}, "evt_odd")
    assert not Dispute.objects.exists()
    assert not Transaction.objects.filter(source=Source.CHARGEBACK).exists()


def test_finance_staff_see_disputes_on_the_tip(admin_client, client, endpoint, paid_tip):
    _send(client, endpoint, "charge.dispute.created", _dispute(paid_tip), "evt_open")
    page = admin_client.get(reverse("admin:monetization_tip_change", args=[paid_tip.pk]))
    assert page.status_code == 200
    assert b"dp_1" in page.content

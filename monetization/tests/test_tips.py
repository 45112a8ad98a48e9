"""Tips: the API, fees, refunds (partial, full, never above what remains) and their ledger
postings, the highlighted chat message; against the local Stripe-compatible server."""

import pytest
import stripe
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from live.models import ChatMessage, Stream
from live.tests.factories import StreamFactory
from monetization import selectors, services
from monetization.models import AccountKind, Tip
from socialflow.core.exceptions import Conflict, InvalidInput, PermissionDenied
from socialflow.core.money import Money

pytestmark = pytest.mark.django_db


def _paid(local_stripe, tip):
    intent = local_stripe.pay(tip.payment_intent_id)
    assert intent.status == "succeeded"
    services.stripe_payment_intent_succeeded(intent.to_dict(), event_id="evt_x")
    tip.refresh_from_db()
    return tip


def test_fees_are_shown_and_add_up():
    fees = services.tip_fees(Money(1999, "USD"))
    # 2.9 % of 19.99 = 0.57971 → 0.58, + 0.30; the platform's 10 % → 2.00 (largest remainder).
    assert (fees.processing.amount_minor, fees.platform.amount_minor, fees.net.amount_minor) == (88, 200, 1711)


@given(st.integers(min_value=100, max_value=50_000))
@hsettings(max_examples=200, deadline=None)
def test_fees_never_exceed_the_amount(amount):
    fees = services.tip_fees(Money(amount, "USD"))
    assert fees.processing.amount_minor + fees.platform.amount_minor + fees.net.amount_minor == amount
    assert fees.net.amount_minor > 0


def test_post_tip_answers_a_client_secret_and_fees(local_stripe, alice, bob_client):
    response = bob_client.post(
        "/api/v1/monetization/tips", {"to": alice.username, "amount": 500, "message": "hi"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_secret"].startswith(body["payment_intent"])
    assert body["fees"] == {
        "processing": {"amount": 45, "currency": "usd"},
        "platform": {"amount": 50, "currency": "usd"},
        "net": {"amount": 405, "currency": "usd"},
    }
    intent = stripe.PaymentIntent.retrieve(body["payment_intent"], api_key="sk_test_socialflowlocalstripe000")
    assert intent.amount == 500 and intent.metadata["socialflow_tip"] == body["id"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"to": "alice", "amount": 99}, 400, "amount"),
        ({"to": "alice", "amount": 50_001}, 400, "amount"),
        ({"to": "alice", "amount": 500, "currency": "EUR"}, 400, "currency"),
        ({"to": "alice", "amount": 500, "currency": "XXX"}, 400, None),
        ({"to": "bob", "amount": 500}, 400, "to"),
        ({"to": "nobody-here", "amount": 500}, 404, None),
        ({"to": "alice", "amount": "five"}, 400, "amount"),
    ],
)
def test_bad_tips_are_refused(local_stripe, alice, bob_client, body, status, field):
    response = bob_client.post("/api/v1/monetization/tips", body, format="json")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()
    assert not Tip.objects.filter(payment_intent_id__isnull=False).exists()


def test_anonymous_cannot_tip(api_client, alice):
    assert api_client.post("/api/v1/monetization/tips", {"to": "alice", "amount": 500}).status_code == 401


def test_tip_in_someone_elses_stream_is_refused(local_stripe, alice, bob):
    stream = StreamFactory(owner=UserFactory(), status=Stream.Status.LIVE)
    with pytest.raises(InvalidInput):
        services.tip_create(fan=bob, to_username=alice.username, amount_minor=500, stream_id=stream.pk)


def test_paid_tip_is_highlighted_in_the_stream_chat(local_stripe, alice, bob, django_capture_on_commit_callbacks):
    stream = StreamFactory(owner=alice, status=Stream.Status.LIVE)
    tip = services.tip_create(fan=bob, to_username=alice.username, amount_minor=1000, stream_id=stream.pk, message="gg")
    with django_capture_on_commit_callbacks(execute=True):
        tip = _paid(local_stripe, tip)
    message = ChatMessage.objects.get(pk=tip.chat_message_id)
    assert (message.user, message.text) == (bob, "gg")
    assert message.highlight == {"kind": "tip", "amount": {"amount": 1000, "currency": "usd"}}
    # A second delivery of the same payment changes nothing.
    services.stripe_payment_intent_succeeded({"id": tip.payment_intent_id, "metadata": {}}, event_id="evt_y")
    assert ChatMessage.objects.filter(stream=stream).count() == 1


def test_refunds_partial_then_full_never_above_what_remains(local_stripe, alice, bob):
    staff = UserFactory(is_staff=True)
    tip = _paid(local_stripe, services.tip_create(fan=bob, to_username=alice.username, amount_minor=1000))
    pending = services.creator_account(alice, AccountKind.CREATOR_PENDING, "USD")
    assert selectors.account_balance(pending).amount_minor == 841  # 1000 - 59 - 100

    services.tip_refund(tip=tip, amount_minor=250, by=staff)
    tip.refresh_from_db()
    assert (tip.status, tip.refunded_minor) == (Tip.Status.PARTIALLY_REFUNDED, 250)
    assert selectors.account_balance(pending).amount_minor == 841 - 225  # 900/1000 of 250

    with pytest.raises(InvalidInput, match=r"\$7\.50"):
        services.tip_refund(tip=tip, amount_minor=751, by=staff)
    with pytest.raises(InvalidInput):
        services.tip_refund(tip=tip, amount_minor=0, by=staff)
    services.tip_refund(tip=tip, by=staff)  # what remains
    tip.refresh_from_db()
    assert (tip.status, tip.refunded_minor) == (Tip.Status.REFUNDED, 1000)
    assert selectors.account_balance(pending).amount_minor == 841 - 900
    fees = services.platform_account(AccountKind.PLATFORM_FEES, "USD")
    assert selectors.account_balance(fees).amount_minor == 0
    with pytest.raises(Conflict):
        services.tip_refund(tip=tip, amount_minor=1, by=staff)
    # Stripe agrees on what was refunded.
    charge = stripe.PaymentIntent.retrieve(tip.payment_intent_id, api_key="sk_test_socialflowlocalstripe000")
    assert charge.latest_charge.amount_refunded == 1000
    assert selectors.ledger_totals() == {"USD": 0}
    assert selectors.ledger_unbalanced_transaction_ids() == []


def test_only_staff_refund(local_stripe, alice, bob):
    tip = _paid(local_stripe, services.tip_create(fan=bob, to_username=alice.username, amount_minor=1000))
    with pytest.raises(PermissionDenied):
        services.tip_refund(tip=tip, amount_minor=100, by=alice)


def test_unpaid_tip_cannot_be_refunded(local_stripe, alice, bob):
    tip = services.tip_create(fan=bob, to_username=alice.username, amount_minor=1000)
    with pytest.raises(Conflict):
        services.tip_refund(tip=tip, amount_minor=100)


def test_the_local_server_refuses_a_refund_above_what_remains(local_stripe, alice, bob):
    tip = _paid(local_stripe, services.tip_create(fan=bob, to_username=alice.username, amount_minor=1000))
    key = "sk_test_socialflowlocalstripe000"
    stripe.Refund.create(payment_intent=tip.payment_intent_id, amount=900, api_key=key)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.create(payment_intent=tip.payment_intent_id, amount=101, api_key=key)


@given(
    amount=st.integers(min_value=100, max_value=50_000),
    cuts=st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=6),
)
@hsettings(max_examples=200, deadline=None)
def test_refund_shares_are_exact_for_any_sequence(amount, cuts):
    """Whatever the steps, the parts of each running total add up to it, and the steps' parts add
    up to the parts of the whole: no cent is lost or made by rounding step by step."""
    fees = services.tip_fees(Money(amount, "USD"))
    tip = Tip(
        amount_minor=amount,
        currency="USD",
        processing_fee_minor=fees.processing.amount_minor,
        platform_fee_minor=fees.platform.amount_minor,
    )
    total, creator_sum, platform_sum = 0, 0, 0
    for cut in cuts:
        after = min(amount, total + cut)
        before_c, before_p = services._refund_shares(tip, total)
        after_c, after_p = services._refund_shares(tip, after)
        assert after_c + after_p == after
        assert after_c >= before_c and after_p >= before_p
        creator_sum += after_c - before_c
        platform_sum += after_p - before_p
        total = after
    assert (creator_sum, platform_sum) == services._refund_shares(tip, total)
    assert platform_sum <= tip.platform_fee_minor

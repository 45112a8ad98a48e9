"""The ledger admin is for reading: transactions with their entries, filters, search; no edits."""

import pytest

from accounts.tests.factories import UserFactory
from monetization import selectors, services
from monetization.models import AccountKind, Payout, Source, Tip
from socialflow.core.money import Money

pytestmark = pytest.mark.django_db

URL = "/admin/monetization/transaction/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def tip(alice):
    return services.ledger_post_earning(
        creator=alice, gross=Money(1000, "USD"), source=Source.TIP, idempotency_key="pi_abc123", memo="a tip"
    )


def test_it_lists_filters_and_searches_transactions(admin_client, tip):
    services.ledger_post_earning(
        creator=UserFactory(), gross=Money(500, "USD"), source=Source.MEMBERSHIP, idempotency_key="in_xyz"
    )
    assert admin_client.get(URL).status_code == 200
    page = admin_client.get(URL, {"source": "tip"}).content.decode()
    assert "pi_abc123" in page and "in_xyz" not in page
    page = admin_client.get(URL, {"q": "in_x"}).content.decode()
    assert "in_xyz" in page and "pi_abc123" not in page
    assert admin_client.get(URL, {"created_at__gte": "2000-01-01 00:00:00+00:00"}).status_code == 200


def test_a_transaction_shows_its_entries_read_only(admin_client, tip):
    response = admin_client.get(f"{URL}{tip.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "-1000" in page and "900" in page and "100" in page
    assert 'name="_save"' not in page
    # Posting the form changes nothing: the admin has no change permission.
    assert admin_client.post(f"{URL}{tip.pk}/change/", {"memo": "edited"}).status_code == 403
    tip.refresh_from_db()
    assert tip.memo == "a tip"


def test_it_cannot_add_or_delete(admin_client, tip):
    assert admin_client.get(f"{URL}add/").status_code == 403
    assert admin_client.get(f"{URL}{tip.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/monetization/account/add/").status_code == 403
    assert admin_client.get("/admin/monetization/account/").status_code == 200


def test_finance_staff_refund_a_tip_partly_from_the_admin(local_stripe, client, alice, bob):
    staff = UserFactory(is_staff=True, is_superuser=True)
    tip = services.tip_create(fan=bob, to_username=alice.username, amount_minor=1000)
    services.stripe_payment_intent_succeeded(local_stripe.pay(tip.payment_intent_id).to_dict())
    client.force_login(staff)
    url = f"/admin/monetization/tip/{tip.pk}/refund/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"amount_minor": 2000}).status_code == 200  # above what remains: the form again
    response = client.post(url, {"amount_minor": 400, "reason": "asked"})
    assert response.status_code == 302
    tip.refresh_from_db()
    assert (tip.status, tip.refunded_minor) == (Tip.Status.PARTIALLY_REFUNDED, 400)
    client.post("/admin/monetization/tip/", {"action": "refund_in_full", "_selected_action": [tip.pk]})
    tip.refresh_from_db()
    assert (tip.status, tip.refunded_minor) == (Tip.Status.REFUNDED, 1000)


def test_ledger_search_by_creator_and_kind(admin_client, tip, alice):
    services.ledger_post_earning(
        creator=UserFactory(username="zed"), gross=Money(500, "USD"), source=Source.MEMBERSHIP, idempotency_key="in_z"
    )
    url = "/admin/monetization/entry/"
    page = admin_client.get(url, {"q": alice.username}).content.decode()
    assert page.count('class="field-amount_minor"') == 1
    page = admin_client.get(url, {"account__kind": "platform_fees"}).content.decode()
    assert page.count('class="field-amount_minor"') == 2
    assert admin_client.get(url, {"transaction__source": "tip", "q": "pi_abc"}).status_code == 200


def test_payout_review_returns_only_stuck_payouts(admin_client, alice):
    services.ledger_post(
        source=Source.TIP,
        idempotency_key="funds",
        lines=[
            (services.platform_account(AccountKind.STRIPE_CLEARING, "USD"), Money(-5000, "USD")),
            (services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD"), Money(5000, "USD")),
        ],
    )
    stuck = Payout.objects.create(user=alice, amount_minor=2000, currency="USD")
    services.ledger_post(
        source=Source.PAYOUT,
        idempotency_key=f"payout:{stuck.pk}",
        lines=[
            (services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD"), Money(-2000, "USD")),
            (services.platform_account(AccountKind.PAYOUTS_IN_TRANSIT, "USD"), Money(2000, "USD")),
        ],
    )
    sent = Payout.objects.create(user=alice, amount_minor=1000, currency="USD", stripe_transfer_id="tr_1")
    url = "/admin/monetization/payout/"
    assert admin_client.get(url, {"status": "pending", "q": alice.username}).status_code == 200
    response = admin_client.post(url, {"action": "return_stuck", "_selected_action": [stuck.pk, sent.pk]}, follow=True)
    assert response.status_code == 200
    stuck.refresh_from_db()
    sent.refresh_from_db()
    assert stuck.status == Payout.Status.FAILED and sent.status == Payout.Status.PENDING
    available = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    assert selectors.account_balance(available).amount_minor == 5000
    assert admin_client.get(f"{url}{stuck.pk}/change/").status_code == 200
    assert admin_client.get("/admin/monetization/revenueshare/").status_code == 200


def test_memberships_their_payments_and_disputes_are_listed_read_only(admin_client, alice, bob):
    from monetization.models import Dispute, Membership, MembershipPayment, MembershipTier

    tier = MembershipTier.objects.create(
        creator=alice, name="Fan", price_minor=500, currency="USD", stripe_price_id="p"
    )
    membership = Membership.objects.create(user=bob, creator=alice, tier=tier, stripe_subscription_id="sub_a1")
    payment = MembershipPayment.objects.create(
        membership=membership, creator=alice, stripe_invoice_id="in_a1", amount_minor=500, currency="USD",
        platform_fee_minor=50,
    )  # fmt: skip
    Dispute.objects.create(membership_payment=payment, stripe_dispute_id="dp_a1", amount_minor=500)
    page = admin_client.get("/admin/monetization/membership/", {"q": "bob"}).content.decode()
    assert "sub_a1" not in page and str(membership.pk) in page
    detail = admin_client.get(f"/admin/monetization/membership/{membership.pk}/change/")
    assert detail.status_code == 200 and "in_a1" in detail.content.decode()
    assert "dp_a1" in admin_client.get("/admin/monetization/dispute/", {"status": "open"}).content.decode()
    assert admin_client.post(f"/admin/monetization/membership/{membership.pk}/change/", {}).status_code == 403

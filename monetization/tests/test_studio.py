"""The Studio earnings page (/studio/monetization/): earnings over time by source, balances, tiers
(create, edit, retire), payouts (request, list), Connect onboarding; bounded queries, escaped text,
refusals shown as messages (never a 500)."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.contrib.messages import get_messages
from django.test import Client

from accounts.tests.factories import UserFactory
from monetization import selectors, services
from monetization.models import AccountKind, ConnectAccount, MembershipTier, Payout, Source
from socialflow.core.money import Money

pytestmark = pytest.mark.django_db
URL = "/studio/monetization/"


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _earn(user, minor: int, key: str, *, source=Source.TIP, when=None, currency="USD"):
    with time_machine.travel(when or datetime.now(UTC), tick=False):
        services.ledger_post_earning(
            creator=user, gross=Money(minor, currency), source=source, idempotency_key=key, fee_bps=0
        )


def _available(user, minor: int, key: str):
    services.ledger_post(
        source=Source.TIP,
        idempotency_key=key,
        lines=[
            (services.platform_account(AccountKind.STRIPE_CLEARING, "USD"), usd(-minor)),
            (services.creator_account(user, AccountKind.CREATOR_AVAILABLE, "USD"), usd(minor)),
        ],
    )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_earnings_over_time_by_day_and_month():
    alice = UserFactory()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    _earn(alice, 1000, "a", when=start + timedelta(hours=5))
    _earn(alice, 250, "b", when=start + timedelta(days=1, hours=23), source=Source.MEMBERSHIP)
    _earn(alice, 300, "c", when=start + timedelta(days=1, hours=1))
    _earn(alice, 999, "before", when=start - timedelta(seconds=1))
    _earn(alice, 500, "yen", when=start + timedelta(days=2), currency="JPY")
    _earn(UserFactory(), 777, "someone-else", when=start + timedelta(hours=1))
    (jpy, usd_chart) = selectors.earnings_over_time(user=alice, start=start, end=start + timedelta(days=3), by="day")
    assert usd_chart["labels"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert usd_chart["exponent"] == 2 and jpy["exponent"] == 0
    assert {s["source"]: s["minor"] for s in usd_chart["series"]} == {"membership": [0, 250, 0], "tip": [1000, 300, 0]}
    assert jpy["series"] == [{"source": "tip", "label": "Tip", "minor": [0, 0, 500]}]
    (months,) = selectors.earnings_over_time(
        user=alice, start=datetime(2026, 2, 1, tzinfo=UTC), end=datetime(2026, 4, 1, tzinfo=UTC), by="month"
    )[1:]
    assert months["labels"] == ["2026-02", "2026-03"]
    assert {s["source"]: s["minor"] for s in months["series"]} == {"tip": [999, 1300], "membership": [0, 250]}


def test_the_page_shows_balances_chart_data_tiers_and_payouts_in_bounded_queries(django_assert_max_num_queries):
    alice = UserFactory()
    client = _client(alice)
    with django_assert_max_num_queries(13):  # 8, and the plan: its subscription and 4 usage counts
        empty = client.get(URL)
    assert empty.status_code == 200
    assert b"No earnings yet" in empty.content and b"Set up payouts with Stripe" in empty.content
    now = datetime.now(UTC)
    for i in range(12):
        _earn(alice, 100 + i, f"tip-{i}", when=now - timedelta(days=i % 5))
    _earn(alice, 5000, "share", source=Source.REVENUE_SHARE, when=now - timedelta(days=40))
    _available(alice, 4000, "available")
    ConnectAccount.objects.create(user=alice, stripe_account_id="acct_x", payouts_enabled=True)
    for i in range(5):
        MembershipTier.objects.create(
            creator=alice,
            name=f"<script>tier {i}</script>",
            price_minor=500 + i,
            currency="USD",
            stripe_price_id=f"p{i}",
        )
        Payout.objects.create(user=alice, amount_minor=1000 + i, currency="USD")
    with django_assert_max_num_queries(13):  # 8, and the plan: its subscription and 4 usage counts
        response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>tier" not in html and "&lt;script&gt;tier 0&lt;/script&gt;" in html
    assert 'id="chart-earnings-usd"' in html and 'id="earnings-charts"' in html
    (chart,) = response.context["charts"]
    assert len(chart["labels"]) == 30 and sum(chart["series"][0]["minor"]) == 4000 + sum(100 + i for i in range(12))
    assert "$40.00" in html  # available
    assert "Request payout" in html and "$10.04" in html and "$5.04 / month" in html
    monthly = client.get(URL + "?by=month").context["charts"][0]
    assert len(monthly["labels"]) == 12
    assert {s["source"] for s in monthly["series"]} == {"tip", "revenue_share"}
    assert client.get(URL + "?by=<x>").context["by"] == "day"  # bad input: the default


def test_signed_out_is_sent_to_log_in():
    response = Client().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_tier_create_edit_retire(local_stripe):
    alice = UserFactory()
    client = _client(alice)
    response = client.post(
        URL, {"action": "tier-create", "tier-name": "Gold", "tier-price": "4.99", "tier-perks": "Badge"}
    )
    assert response.status_code == 302
    tier = MembershipTier.objects.get(creator=alice)
    assert (tier.name, tier.price_minor, tier.stripe_price_id.startswith("price_")) == ("Gold", 499, True)
    # A price with too many decimals or out of range: the form again with the message, nothing made.
    bad = client.post(URL, {"action": "tier-create", "tier-name": "X", "tier-price": "4.999"})
    assert bad.status_code == 200 and "at most 2 decimals" in bad.content.decode()
    low = client.post(URL, {"action": "tier-create", "tier-name": "X", "tier-price": "0.50"}, follow=True)
    assert any("between" in m for m in _messages(low))
    assert MembershipTier.objects.count() == 1
    client.post(URL, {"action": "tier-edit", "tier": tier.pk, "name": "Platinum", "perks": "More", "active": "on"})
    tier.refresh_from_db()
    assert (tier.name, tier.perks, tier.active) == ("Platinum", "More", True)
    client.post(URL, {"action": "tier-edit", "tier": tier.pk, "name": "Platinum", "perks": ""})
    tier.refresh_from_db()
    assert not tier.active
    # Someone else's tier, or nonsense: a message.
    bob = _client(UserFactory())
    other = bob.post(URL, {"action": "tier-edit", "tier": tier.pk, "name": "Mine"}, follow=True)
    assert "No such tier." in _messages(other)
    assert bob.post(URL, {"action": "tier-edit", "tier": "x", "name": ""}, follow=True).status_code == 200
    assert bob.post(URL, {"action": "nope"}, follow=True).status_code == 200


def test_connect_then_payout_from_the_page(local_stripe):
    alice = UserFactory()
    client = _client(alice)
    response = client.post(URL, {"action": "connect"})
    assert response.status_code == 302 and response["Location"].startswith(local_stripe.url + "/_local/connect/")
    assert requests.post(response["Location"], allow_redirects=False, timeout=10).status_code == 303
    connect = ConnectAccount.objects.get(user=alice)
    services.stripe_account_updated(
        {"id": connect.stripe_account_id, "details_submitted": True, "payouts_enabled": True}
    )
    _available(alice, 5000, "available")
    too_much = client.post(URL, {"action": "payout", "payout-amount": "60.00"}, follow=True)
    assert any("Only $50.00 is available" in m for m in _messages(too_much))
    done = client.post(URL, {"action": "payout", "payout-amount": "30"}, follow=True)
    assert "Payout of $30.00 requested." in _messages(done)
    assert Payout.objects.get(user=alice).amount_minor == 3000
    assert "$20.00" in done.content.decode()
    garbage = client.post(URL, {"action": "payout", "payout-amount": "1e9"})
    assert garbage.status_code == 200 and "is not an amount" in garbage.content.decode()


def test_payout_without_connect_is_refused_with_a_message():
    alice = UserFactory()
    _available(alice, 5000, "available")
    response = _client(alice).post(URL, {"action": "payout", "payout-amount": "20"}, follow=True)
    assert "Finish setting up payouts (Stripe Connect) first." in _messages(response)
    assert not Payout.objects.exists()

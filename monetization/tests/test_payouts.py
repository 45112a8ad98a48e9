"""Stripe Connect onboarding and payouts against the local Stripe-compatible server: the minimum,
never above the available balance (also under concurrent requests, on PostgreSQL), status from
webhooks, failures returned to the balance."""

import threading
from datetime import timedelta

import pytest
import requests
from django.db import close_old_connections, connection
from django.utils import timezone

from monetization import gateway, selectors, services
from monetization.devstripe import resources as devstripe
from monetization.models import AccountKind, ConnectAccount, Payout, Source
from socialflow.core.exceptions import Conflict, InvalidInput
from socialflow.core.money import Money

pytestmark = pytest.mark.django_db


def _earn(user, minor: int, key: str = "earn"):
    """Available earnings: an earning posted, then past the hold period."""
    services.ledger_post(
        source=Source.TIP,
        idempotency_key=f"{key}:{user.pk}",
        lines=[
            (services.platform_account(AccountKind.STRIPE_CLEARING, "USD"), Money(-minor, "USD")),
            (services.creator_account(user, AccountKind.CREATOR_AVAILABLE, "USD"), Money(minor, "USD")),
        ],
    )


def _onboarded(local_stripe, client, user):
    response = client.post("/api/v1/monetization/connect")
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    assert url.startswith(local_stripe.url + "/_local/connect/")
    # The creator finishes onboarding on the (local) hosted page; Stripe sends account.updated.
    finished = requests.post(url, allow_redirects=False, timeout=10)
    assert finished.status_code == 303
    connect = ConnectAccount.objects.get(user=user)
    services.stripe_account_updated(
        {"id": connect.stripe_account_id, "details_submitted": True, "payouts_enabled": True}
    )
    connect.refresh_from_db()
    assert connect.payouts_enabled
    return connect


def test_payout_path(local_stripe, alice, alice_client, django_capture_on_commit_callbacks):
    _onboarded(local_stripe, alice_client, alice)
    _earn(alice, 5000)
    response = alice_client.post("/api/v1/monetization/payouts", {"amount": 3000}, format="json")
    assert response.status_code == 201, response.content
    payout = Payout.objects.get(pk=response.json()["id"])
    assert payout.stripe_transfer_id.startswith("tr_")
    available = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    assert selectors.account_balance(available).amount_minor == 2000
    in_transit = services.platform_account(AccountKind.PAYOUTS_IN_TRANSIT, "USD")
    assert selectors.account_balance(in_transit).amount_minor == 3000

    with django_capture_on_commit_callbacks(execute=True):
        services.stripe_transfer_created({"id": payout.stripe_transfer_id, "metadata": {}})
        services.stripe_transfer_created({"id": payout.stripe_transfer_id, "metadata": {}})  # redelivered
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SENT
    assert selectors.account_balance(in_transit).amount_minor == 0
    assert alice.notifications.filter(kind="payout_sent").count() == 1
    listed = alice_client.get("/api/v1/monetization/payouts").json()["results"]
    assert [row["status"] for row in listed] == ["sent"]
    assert selectors.ledger_totals() == {"USD": 0}


def test_payout_rules(local_stripe, alice, alice_client, bob_client):
    assert bob_client.post("/api/v1/monetization/payouts", {"amount": 1000}, format="json").status_code == 409
    _onboarded(local_stripe, alice_client, alice)
    _earn(alice, 1500)
    too_small = alice_client.post("/api/v1/monetization/payouts", {"amount": 999}, format="json")
    assert too_small.status_code == 400 and "amount" in too_small.json()
    too_large = alice_client.post("/api/v1/monetization/payouts", {"amount": 1501}, format="json")
    assert too_large.status_code == 400 and "$15.00" in too_large.json()["amount"][0]
    assert alice_client.post("/api/v1/monetization/payouts", {"amount": 1500}, format="json").status_code == 201
    assert alice_client.post("/api/v1/monetization/payouts", {"amount": 1000}, format="json").status_code == 400


def test_pending_earnings_cannot_be_paid_out_until_the_hold_ends(local_stripe, alice, alice_client):
    _onboarded(local_stripe, alice_client, alice)
    services.ledger_post_earning(creator=alice, gross=Money(2000, "USD"), source=Source.TIP, idempotency_key="t1")
    assert alice_client.post("/api/v1/monetization/payouts", {"amount": 1000}, format="json").status_code == 400
    services.ledger_release_matured(now=timezone.now() + timedelta(days=8))
    assert alice_client.post("/api/v1/monetization/payouts", {"amount": 1800}, format="json").status_code == 201


def test_a_reversed_transfer_returns_the_money(local_stripe, alice, alice_client):
    _onboarded(local_stripe, alice_client, alice)
    _earn(alice, 2000)
    payout = services.payout_request(user=alice, amount_minor=2000)
    services.stripe_transfer_created({"id": payout.stripe_transfer_id})
    services.stripe_transfer_reversed({"id": payout.stripe_transfer_id})
    services.stripe_transfer_reversed({"id": payout.stripe_transfer_id})
    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED
    available = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    assert selectors.account_balance(available).amount_minor == 2000
    assert selectors.ledger_totals() == {"USD": 0}


def test_a_refused_transfer_returns_the_money(local_stripe, alice):
    # An account whose onboarding Stripe has not finished: the local server refuses the transfer.
    ConnectAccount.objects.create(user=alice, stripe_account_id="acct_unknown", payouts_enabled=True)
    _earn(alice, 2000)
    with pytest.raises(InvalidInput):
        services.payout_request(user=alice, amount_minor=1500)
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.FAILED
    available = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    assert selectors.account_balance(available).amount_minor == 2000


def test_payouts_list_query_count(local_stripe, alice, alice_client, django_assert_max_num_queries):
    ConnectAccount.objects.create(user=alice, stripe_account_id="acct_x", payouts_enabled=True)
    for n in range(5):
        Payout.objects.create(user=alice, amount_minor=1000 + n, currency="USD")
    with django_assert_max_num_queries(4):
        response = alice_client.get("/api/v1/monetization/payouts")
    assert len(response.json()["results"]) == 5


def test_not_onboarded_is_a_conflict(alice):
    _earn(alice, 5000)
    with pytest.raises(Conflict):
        services.payout_request(user=alice, amount_minor=1000)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)")
def test_concurrent_payouts_never_exceed_the_available_balance(local_stripe, alice):
    account = gateway.account_create(email="", country="US", metadata={}, idempotency_key="concurrent")
    local_stripe.call(lambda: devstripe.Account._api_retrieve(account["id"])._complete_onboarding())
    ConnectAccount.objects.create(user=alice, stripe_account_id=account["id"], payouts_enabled=True)
    _earn(alice, 5000)
    services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    barrier = threading.Barrier(8)
    outcomes = []

    def request():
        try:
            barrier.wait()
            services.payout_request(user=alice, amount_minor=1000)
            outcomes.append("ok")
        except InvalidInput as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] * 5 + ["payout_too_large"] * 3
    assert Payout.objects.filter(user=alice).count() == 5
    available = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    assert selectors.account_balance(available).amount_minor == 0

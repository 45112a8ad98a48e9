"""GET monetization/earnings: the signed-in user's balances, totals by source and entries."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from monetization import services
from monetization.models import Source
from socialflow.core.money import Money
from socialflow.tests.openapi import assert_conforms

pytestmark = pytest.mark.django_db

URL = "/api/v1/monetization/earnings"


def _earn(creator, minor: int, key: str, *, source=Source.TIP, currency="USD", days_ago: float = 0):
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        return services.ledger_post_earning(
            creator=creator, gross=Money(minor, currency), source=source, idempotency_key=key
        )


def _get(client, url=URL):
    response = client.get(url)
    assert_conforms(response, "GET", url)
    return response


def test_it_needs_a_signed_in_user(api_client):
    assert _get(api_client).status_code == 401


def test_an_empty_ledger(alice_client):
    body = _get(alice_client).json()
    assert body == {"balances": [], "by_source": [], "next": None, "previous": None, "results": []}


def test_it_shows_balances_totals_and_entries(alice, bob, alice_client):
    _earn(alice, 1000, "tip-old", days_ago=8)  # 900 to alice after the 10 % fee
    _earn(alice, 500, "member", source=Source.MEMBERSHIP)  # 450
    _earn(alice, 700, "jpy", currency="JPY")  # 630
    _earn(bob, 999, "bob")  # someone else's
    services.ledger_release_matured()
    body = _get(alice_client).json()
    assert body["balances"] == [
        {
            "currency": "jpy",
            "pending": {"amount": 630, "currency": "jpy"},
            "available": {"amount": 0, "currency": "jpy"},
        },
        {
            "currency": "usd",
            "pending": {"amount": 450, "currency": "usd"},
            "available": {"amount": 900, "currency": "usd"},
        },
    ]
    assert body["by_source"] == [
        {"source": "membership", "amount": {"amount": 450, "currency": "usd"}},
        {"source": "tip", "amount": {"amount": 630, "currency": "jpy"}},
        {"source": "tip", "amount": {"amount": 900, "currency": "usd"}},
    ]
    # Newest first: the release (off pending, onto available), then the three earnings.
    shown = [(e["source"], e["account"], e["amount"]["amount"]) for e in body["results"]]
    assert shown == [
        ("hold_release", "creator_available", 900),
        ("hold_release", "creator_pending", -900),
        ("tip", "creator_pending", 630),
        ("membership", "creator_pending", 450),
        ("tip", "creator_pending", 900),
    ]
    assert all(isinstance(e["id"], str) and isinstance(e["transaction_id"], str) for e in body["results"])


def test_it_pages_the_entries_by_cursor(alice, alice_client):
    for i in range(5):
        _earn(alice, 100, f"tip-{i}", days_ago=1 - i / 10)
    first = _get(alice_client, f"{URL}?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    seen = [e["id"] for e in first["results"]]
    url = first["next"]
    while url:
        page = alice_client.get(url).json()
        seen += [e["id"] for e in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 5
    # Balances and totals are the whole ledger's, on every page.
    assert page["balances"][0]["pending"]["amount"] == 450


def test_it_refuses_a_cursor_that_is_not_ours(alice_client):
    response = _get(alice_client, f"{URL}?cursor=nope")
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_it_reads_within_a_query_budget(alice, alice_client, django_assert_max_num_queries):
    for i in range(3):
        _earn(alice, 100, f"warm-{i}")
    alice_client.get(URL)
    with django_assert_max_num_queries(4) as captured:
        alice_client.get(URL)
    budget = len(captured)
    for i in range(30):
        _earn(alice, 100, f"more-{i}", source=Source.MEMBERSHIP if i % 2 else Source.TIP)
    with django_assert_max_num_queries(budget):
        assert len(alice_client.get(URL).json()["results"]) == 20


def test_it_only_shows_the_callers_own_ledger(alice, bob_client):
    _earn(alice, 100, "a")
    body = bob_client.get(URL).json()
    assert body["balances"] == [] and body["by_source"] == [] and body["results"] == []

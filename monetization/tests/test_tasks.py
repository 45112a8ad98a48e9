"""The hold period: pending earnings become available after MONETIZATION_HOLD_DAYS, once."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from monetization import selectors, services, tasks
from monetization.models import Source, Transaction
from socialflow.celery import app as celery_app
from socialflow.core.money import Money

pytestmark = pytest.mark.django_db


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def _earn(creator, minor: int, key: str, *, days_ago: float):
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        return services.ledger_post_earning(
            creator=creator, gross=usd(minor), source=Source.TIP, idempotency_key=key, fee_bps=0
        )


def _balance(user):
    (balance,) = selectors.earnings_balances(user=user)
    return balance.pending, balance.available


def test_matured_earnings_move_to_available_once():
    creator = UserFactory()
    _earn(creator, 1000, "old", days_ago=8)
    _earn(creator, 250, "new", days_ago=2)
    assert tasks.release_matured_earnings() == 1
    assert _balance(creator) == (usd(250), usd(1000))
    # The task again, and again later the same day: nothing more to move.
    assert tasks.release_matured_earnings() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert tasks.release_matured_earnings() == 0
    assert Transaction.objects.filter(source=Source.HOLD_RELEASE).count() == 1
    # Six days on the newer earning has matured too.
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert tasks.release_matured_earnings() == 1
    assert _balance(creator) == (usd(0), usd(1250))
    assert selectors.ledger_unbalanced_transaction_ids() == []


def test_the_hold_period_is_a_setting(settings):
    settings.MONETIZATION_HOLD_DAYS = 0
    creator = UserFactory()
    _earn(creator, 300, "now", days_ago=0.001)
    assert tasks.release_matured_earnings() == 1
    assert _balance(creator) == (usd(0), usd(300))


def test_a_refund_inside_the_hold_is_not_released():
    creator = UserFactory()
    tip = _earn(creator, 1000, "tip", days_ago=9)
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        services.ledger_reverse(original=tip, idempotency_key="tip:refund", source=Source.REFUND)
    assert tasks.release_matured_earnings() == 0
    assert _balance(creator) == (usd(0), usd(0))


def test_two_creators_and_currencies_are_released_separately():
    alice, bob = UserFactory.create_batch(2)
    _earn(alice, 100, "a", days_ago=10)
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        services.ledger_post_earning(
            creator=alice, gross=Money(500, "JPY"), source=Source.TIP, idempotency_key="a-jpy", fee_bps=0
        )
    _earn(bob, 200, "b", days_ago=10)
    assert tasks.release_matured_earnings() == 3
    assert [(b.currency, b.available) for b in selectors.earnings_balances(user=alice)] == [
        ("JPY", Money(500, "JPY")),
        ("USD", usd(100)),
    ]
    assert _balance(bob) == (usd(0), usd(200))
    assert tasks.release_matured_earnings() == 0


def test_beat_runs_the_release_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["monetization-release-matured"]
    assert entry["task"] == "monetization.tasks.release_matured_earnings"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == timedelta(hours=1)

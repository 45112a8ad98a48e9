"""Balance checkpoints: a balance read is the latest checkpoint plus the entries after it, and
always equals the plain sum; entries inside the lag are never folded into a checkpoint."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from monetization import selectors, services, tasks
from monetization.models import AccountKind, BalanceCheckpoint, Entry, Source
from socialflow.core.money import Money

pytestmark = pytest.mark.django_db


def _post(user, minor, n):
    services.ledger_post(
        source=Source.TIP,
        idempotency_key=f"cp:{n}",
        lines=[
            (services.platform_account(AccountKind.STRIPE_CLEARING, "USD"), Money(-minor, "USD")),
            (services.creator_account(user, AccountKind.CREATOR_AVAILABLE, "USD"), Money(minor, "USD")),
        ],
    )


def _plain_sum(account):
    return Entry.objects.filter(account=account).aggregate(total=Sum("amount_minor"))["total"] or 0


def test_checkpointed_balance_equals_the_plain_sum(alice, settings, django_assert_max_num_queries):
    settings.MONETIZATION_CHECKPOINT_LAG_S = 300
    account = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    for n in range(10):
        _post(alice, 100 + n, n)
    later = timezone.now() + timedelta(minutes=10)
    assert services.ledger_checkpoint(account=account, now=later).total_minor == _plain_sum(account)
    for n in range(10, 15):
        _post(alice, 7, n)
    with django_assert_max_num_queries(2):
        balance = selectors.account_balance(account)
    assert balance.amount_minor == _plain_sum(account) == 1045 + 35
    # Entries inside the lag stay out of a checkpoint; re-running adds nothing new.
    assert services.ledger_checkpoint(account=account) is None
    second = services.ledger_checkpoint(account=account, now=timezone.now() + timedelta(minutes=10))
    assert second.total_minor == 1080
    assert services.ledger_checkpoint(account=account, now=timezone.now() + timedelta(minutes=10)) is None
    assert BalanceCheckpoint.objects.filter(account=account).count() == 2
    assert selectors.account_balance(account).amount_minor == 1080


def test_the_periodic_task_checkpoints_busy_accounts(alice, settings):
    settings.MONETIZATION_CHECKPOINT_EVERY = 3
    settings.MONETIZATION_CHECKPOINT_LAG_S = 0
    for n in range(4):
        _post(alice, 50, n)
    assert tasks.checkpoint_balances() == 2  # the creator's account and the clearing account
    clearing = services.platform_account(AccountKind.STRIPE_CLEARING, "USD")
    assert selectors.account_balance(clearing).amount_minor == -200
    assert tasks.checkpoint_balances() == 0


def test_checkpoints_are_append_only(alice, settings):
    settings.MONETIZATION_CHECKPOINT_LAG_S = 0
    _post(alice, 50, 1)
    account = services.creator_account(alice, AccountKind.CREATOR_AVAILABLE, "USD")
    services.ledger_checkpoint(account=account, now=timezone.now() + timedelta(seconds=1))
    with pytest.raises(TypeError):
        BalanceCheckpoint.objects.update(total_minor=0)

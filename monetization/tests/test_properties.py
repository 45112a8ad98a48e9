"""Property tests (hypothesis) of the ledger's invariants: every transaction adds up to zero, the
sum of all balances is zero, splits never lose or create a unit, and reposting changes nothing.

Each example runs inside a savepoint that is rolled back, so examples don't see each other's rows.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from monetization import selectors, services
from monetization.models import AccountKind, Entry, Source, Transaction
from socialflow.core.money import MAX_MINOR, Money

pytestmark = pytest.mark.django_db

db_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
CURRENCIES = ["USD", "JPY", "BHD"]
KINDS = [
    AccountKind.CREATOR_PENDING,
    AccountKind.CREATOR_AVAILABLE,
    AccountKind.PLATFORM_FEES,
    AccountKind.STRIPE_CLEARING,
]
SOURCES = [s for s in Source.values if s != Source.HOLD_RELEASE]

# A posting: a currency, a source, and amounts moved to some accounts; the funding line balances it.
postings = st.lists(
    st.tuples(
        st.sampled_from(CURRENCIES),
        st.sampled_from(SOURCES),
        st.lists(
            st.tuples(st.sampled_from(KINDS), st.integers(0, 2), st.integers(-(10**9), 10**9)), min_size=1, max_size=4
        ),
        st.integers(0, 5),  # the key: small, so keys repeat
    ),
    min_size=1,
    max_size=12,
)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _account(users, kind, who, currency):
    if kind in (AccountKind.CREATOR_PENDING, AccountKind.CREATOR_AVAILABLE):
        return services.creator_account(users[who], kind, currency)
    return services.platform_account(kind, currency)


@db_settings
@given(postings)
def test_any_sequence_of_postings_keeps_the_books_balanced(steps):
    with rolled_back():
        users = UserFactory.create_batch(3)
        posted: dict[str, Transaction] = {}
        for currency, source, moves, key_n in steps:
            lines = [(_account(users, kind, who, currency), Money(amount, currency)) for kind, who, amount in moves]
            funding = services.platform_account(AccountKind.PLATFORM_REVENUE, currency)
            lines.append((funding, Money(-sum(m.amount_minor for _, m in lines), currency)))
            key = f"{currency}:{key_n}"
            try:
                tx = services.ledger_post(source=source, idempotency_key=key, lines=lines)
            except services.UnbalancedTransaction:
                # Only when every amount was zero (nothing to post).
                assert all(m.amount_minor == 0 for _, m in lines)
                continue
            except services.IdempotencyKeyReused:
                assert key in posted  # a key reused with other entries, never a silent overwrite
                continue
            assert posted.setdefault(key, tx).pk == tx.pk
        assert selectors.ledger_unbalanced_transaction_ids() == []
        assert all(total == 0 for total in selectors.ledger_totals().values())
        assert Transaction.objects.count() == len(posted)


@db_settings
@given(
    st.sampled_from(CURRENCIES),
    st.lists(st.integers(1, 10**12), min_size=1, max_size=5),
    st.integers(1, 4),
)
def test_reposting_the_same_keys_changes_nothing(currency, amounts, repeats):
    with rolled_back():
        creator = UserFactory()
        for _ in range(repeats):
            for i, amount in enumerate(amounts):
                services.ledger_post_earning(
                    creator=creator, gross=Money(amount, currency), source=Source.TIP, idempotency_key=f"tip:{i}"
                )
        assert Transaction.objects.count() == len(amounts)
        (balance,) = selectors.earnings_balances(user=creator)
        fees = services.platform_account(AccountKind.PLATFORM_FEES, currency)
        # What the creator and the platform got is exactly what was paid, once.
        assert balance.pending + selectors.account_balance(fees) == Money(sum(amounts), currency)
        assert Entry.objects.filter(account__kind=AccountKind.STRIPE_CLEARING).count() == len(amounts)


@given(
    st.integers(-MAX_MINOR // 10, MAX_MINOR // 10),
    st.sampled_from(CURRENCIES),
    st.integers(0, 10_000),
)
def test_a_fee_split_never_loses_or_creates_a_unit(amount, currency, bps):
    gross = Money(amount, currency)
    share, fee = services.fee_split(gross, fee_bps=bps)
    assert share + fee == gross
    # Each part is within one unit of its exact share.
    assert abs(fee.amount_minor * 10_000 - amount * bps) < 10_000
    assert abs(share.amount_minor * 10_000 - amount * (10_000 - bps)) < 10_000


@db_settings
@given(
    st.lists(st.tuples(st.integers(1, 10**9), st.integers(0, 20)), min_size=1, max_size=8),
    st.lists(st.integers(0, 30), min_size=1, max_size=5),
)
def test_releasing_matured_earnings_is_idempotent_and_exact(earnings, run_days):
    """Earnings posted on various days; the release task run on various days (some twice):
    available is exactly what is older than the hold, pending the rest."""
    with rolled_back():
        creator = UserFactory()
        start = timezone.now()
        for i, (amount, day) in enumerate(earnings):
            with time_machine.travel(start + timedelta(days=day), tick=False):
                services.ledger_post_earning(
                    creator=creator, gross=Money(amount, "USD"), source=Source.TIP, idempotency_key=f"t{i}", fee_bps=0
                )
        for day in sorted(run_days) + sorted(run_days):
            now = start + timedelta(days=day, seconds=1)
            services.ledger_release_matured(now=now)
            services.ledger_release_matured(now=now)
        last = start + timedelta(days=max(run_days), seconds=1)
        matured = sum(a for a, d in earnings if start + timedelta(days=d) <= last - timedelta(days=7))
        (balance,) = selectors.earnings_balances(user=creator)
        assert balance.available == Money(matured, "USD")
        assert balance.pending == Money(sum(a for a, _ in earnings) - matured, "USD")
        assert selectors.ledger_unbalanced_transaction_ids() == []

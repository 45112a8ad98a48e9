"""The ledger's writes: balanced, idempotent, append-only postings and exact fee splits."""

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import UserFactory
from monetization import selectors, services
from monetization.models import Account, AccountKind, Entry, Source, Transaction
from monetization.tests.factories import CreatorAccountFactory, PlatformAccountFactory
from socialflow.core.exceptions import Conflict, InvalidInput
from socialflow.core.money import CurrencyMismatch, Money

pytestmark = pytest.mark.django_db


def usd(minor: int) -> Money:
    return Money(minor, "USD")


@pytest.fixture
def clearing():
    return PlatformAccountFactory()


@pytest.fixture
def pending():
    return CreatorAccountFactory()


def test_it_posts_a_balanced_transaction(clearing, pending):
    tx = services.ledger_post(
        source=Source.TIP, idempotency_key="tip:1", lines=[(clearing, usd(-500)), (pending, usd(500))], memo="a tip"
    )
    assert sorted(tx.entries.values_list("amount_minor", flat=True)) == [-500, 500]
    assert selectors.account_balance(pending) == usd(500)
    assert selectors.account_balance(clearing) == usd(-500)
    assert selectors.ledger_unbalanced_transaction_ids() == []
    assert selectors.ledger_totals() == {"USD": 0}


@pytest.mark.parametrize(
    "amounts",
    [[-500, 499], [500], [0, 0], [-500, 0]],
    ids=["off by one", "one line", "all zero", "one line after dropping the zero"],
)
def test_it_refuses_a_transaction_that_does_not_add_up(clearing, pending, amounts):
    lines = list(zip([clearing, pending], [usd(a) for a in amounts], strict=False))
    with pytest.raises(services.UnbalancedTransaction):
        services.ledger_post(source=Source.TIP, idempotency_key="tip:x", lines=lines)
    assert not Transaction.objects.exists()


def test_it_balances_each_currency_separately(clearing, pending):
    eur_clearing = PlatformAccountFactory(currency="EUR")
    eur_pending = CreatorAccountFactory(owner=pending.owner, currency="EUR")
    with pytest.raises(services.UnbalancedTransaction):
        # Adds up to zero across currencies, not within each.
        services.ledger_post(
            source=Source.TIP,
            idempotency_key="fx",
            lines=[(clearing, usd(-500)), (eur_pending, Money(500, "EUR"))],
        )
    services.ledger_post(
        source=Source.TIP,
        idempotency_key="two",
        lines=[
            (clearing, usd(-5)),
            (pending, usd(5)),
            (eur_clearing, Money(-7, "EUR")),
            (eur_pending, Money(7, "EUR")),
        ],
    )
    assert selectors.ledger_totals() == {"USD": 0, "EUR": 0}


def test_it_refuses_an_amount_in_another_currency_than_the_account(clearing, pending):
    with pytest.raises(CurrencyMismatch):
        services.ledger_post(
            source=Source.TIP, idempotency_key="k", lines=[(clearing, usd(-5)), (pending, Money(5, "EUR"))]
        )


def test_it_refuses_unknown_sources_and_empty_keys(clearing, pending):
    lines = [(clearing, usd(-5)), (pending, usd(5))]
    with pytest.raises(InvalidInput):
        services.ledger_post(source="gift", idempotency_key="k", lines=lines)
    with pytest.raises(InvalidInput):
        services.ledger_post(source=Source.TIP, idempotency_key="", lines=lines)


def test_the_same_key_posts_once(clearing, pending):
    lines = [(clearing, usd(-500)), (pending, usd(500))]
    first = services.ledger_post(source=Source.TIP, idempotency_key="pi_1", lines=lines)
    again = services.ledger_post(source=Source.TIP, idempotency_key="pi_1", lines=list(reversed(lines)))
    assert again.pk == first.pk
    assert Transaction.objects.count() == 1
    assert Entry.objects.count() == 2


@pytest.mark.parametrize("change", ["amount", "source", "account"])
def test_the_same_key_with_other_entries_is_a_conflict(clearing, pending, change):
    services.ledger_post(source=Source.TIP, idempotency_key="pi_1", lines=[(clearing, usd(-500)), (pending, usd(500))])
    other = CreatorAccountFactory()
    source, amount, account = Source.TIP, 500, pending
    if change == "amount":
        amount = 400
    elif change == "source":
        source = Source.MEMBERSHIP
    else:
        account = other
    with pytest.raises(services.IdempotencyKeyReused) as raised:
        services.ledger_post(
            source=source, idempotency_key="pi_1", lines=[(clearing, usd(-amount)), (account, usd(amount))]
        )
    assert isinstance(raised.value, Conflict)
    assert Transaction.objects.count() == 1


def test_a_lost_race_on_the_key_returns_the_winner(clearing, pending, monkeypatch):
    lines = [(clearing, usd(-500)), (pending, usd(500))]
    winner = services.ledger_post(source=Source.TIP, idempotency_key="pi_1", lines=lines)
    # The other request read "no such key" just before the winner committed.
    real_filter = Transaction.objects.filter
    calls = []

    def filter_missing_once(*args, **kwargs):
        calls.append(kwargs)
        qs = real_filter(*args, **kwargs)
        return qs.none() if len(calls) == 1 else qs

    monkeypatch.setattr(Transaction.objects, "filter", filter_missing_once)
    assert services.ledger_post(source=Source.TIP, idempotency_key="pi_1", lines=lines).pk == winner.pk
    assert Entry.objects.count() == 2


def test_entries_and_transactions_are_append_only(clearing, pending):
    tx = services.ledger_post(source=Source.TIP, idempotency_key="k", lines=[(clearing, usd(-5)), (pending, usd(5))])
    entry = tx.entries.first()
    for action in (
        lambda: tx.save(),
        lambda: tx.delete(),
        lambda: entry.save(),
        lambda: entry.delete(),
        lambda: Transaction.objects.update(memo="changed"),
        lambda: Transaction.objects.all().delete(),
        lambda: Entry.objects.update(amount_minor=1),
        lambda: Entry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(TypeError, match="append-only"):
            action()
    assert Entry.objects.count() == 2


def test_a_correction_is_a_reversing_transaction(clearing, pending):
    tx = services.ledger_post(source=Source.TIP, idempotency_key="k", lines=[(clearing, usd(-5)), (pending, usd(5))])
    reversal = services.ledger_reverse(original=tx, idempotency_key="k:reversal", source=Source.REFUND)
    assert reversal.source == Source.REFUND
    assert selectors.account_balance(pending) == usd(0)
    assert Entry.objects.count() == 4
    # Reversing twice under the same key posts once.
    assert services.ledger_reverse(original=tx, idempotency_key="k:reversal", source=Source.REFUND).pk == reversal.pk


def test_the_database_refuses_a_zero_entry(clearing):
    tx = Transaction.objects.create(source=Source.FEE, idempotency_key="raw")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(transaction=tx, account=clearing, amount_minor=0, currency="USD")


def test_accounts_are_one_per_owner_kind_and_currency():
    user = UserFactory()
    first = services.account_get_or_create(kind=AccountKind.CREATOR_PENDING, currency="usd", owner=user)
    assert first.currency == "USD"
    assert services.account_get_or_create(kind=AccountKind.CREATOR_PENDING, currency="USD", owner=user) == first
    assert services.platform_account(AccountKind.PLATFORM_FEES, "USD") == services.platform_account(
        AccountKind.PLATFORM_FEES, "USD"
    )
    with pytest.raises(InvalidInput):
        services.account_get_or_create(kind=AccountKind.CREATOR_PENDING, currency="USD")  # no owner
    with pytest.raises(InvalidInput):
        services.account_get_or_create(kind=AccountKind.PLATFORM_FEES, currency="USD", owner=user)
    with pytest.raises(InvalidInput):
        services.account_get_or_create(kind=AccountKind.PLATFORM_FEES, currency="XXX")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=AccountKind.PLATFORM_FEES, currency="USD")  # a second platform account
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=AccountKind.CREATOR_AVAILABLE, currency="USD")  # a creator kind, no owner


@pytest.mark.parametrize(
    ("gross", "bps", "share", "fee"),
    [
        (1000, 1000, 900, 100),
        (999, 1000, 899, 100),  # 899.1 / 99.9: the unit goes to the larger remainder
        (1, 1000, 1, 0),
        (5, 1000, 5, 0),  # 4.5 / 0.5: a tie goes to the first share
        (1000, 0, 1000, 0),
        (1000, 10_000, 0, 1000),
        (333, 3333, 222, 111),
    ],
)
def test_fee_split_is_exact(gross, bps, share, fee):
    assert services.fee_split(usd(gross), fee_bps=bps) == (usd(share), usd(fee))


def test_fee_split_reads_the_setting(settings):
    settings.MONETIZATION_PLATFORM_FEE_BPS = 2500
    assert services.fee_split(usd(1000)) == (usd(750), usd(250))


@pytest.mark.parametrize("bps", [-1, 10_001, True, 10.0])
def test_fee_split_refuses_a_rate_that_is_not_basis_points(bps):
    with pytest.raises(InvalidInput):
        services.fee_split(usd(1000), fee_bps=bps)


def test_an_earning_credits_the_creator_pending_and_the_platform_fee():
    creator = UserFactory()
    tx = services.ledger_post_earning(
        creator=creator, gross=Money(1999, "EUR"), source=Source.MEMBERSHIP, idempotency_key="in_1"
    )
    by_kind = {e.account.kind: e.amount_minor for e in tx.entries.select_related("account")}
    assert by_kind == {
        AccountKind.STRIPE_CLEARING: -1999,
        AccountKind.CREATOR_PENDING: 1799,
        AccountKind.PLATFORM_FEES: 200,
    }
    balance = selectors.earnings_balances(user=creator)
    assert [(b.currency, b.pending, b.available) for b in balance] == [("EUR", Money(1799, "EUR"), Money(0, "EUR"))]


def test_an_earning_with_no_fee_leaves_the_zero_line_out():
    creator = UserFactory()
    tx = services.ledger_post_earning(
        creator=creator, gross=usd(100), source=Source.TIP, idempotency_key="t", fee_bps=0
    )
    assert tx.entries.count() == 2


def test_an_earning_is_positive():
    with pytest.raises(InvalidInput):
        services.ledger_post_earning(creator=UserFactory(), gross=usd(0), source=Source.TIP, idempotency_key="t")

"""Ledger writes: posting balanced transactions, splitting gross amounts, releasing held earnings.

Every change to money goes through ``ledger_post``: it refuses a posting whose entries don't add up
to zero per currency, and one idempotency key is one transaction forever (a webhook or a task run
twice posts once).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from monetization.models import CREATOR_KINDS, Account, AccountKind, Entry, Source, Transaction
from socialflow.core.exceptions import Conflict, InvalidInput
from socialflow.core.money import CurrencyMismatch, Money

BPS = 10_000


class UnbalancedTransaction(InvalidInput):
    default_message = "A ledger transaction's entries must add up to zero in each currency."
    default_code = "ledger_unbalanced"


class IdempotencyKeyReused(Conflict):
    default_message = "This idempotency key was already posted with different entries."
    default_code = "idempotency_key_reused"


# --- accounts -------------------------------------------------------------------------------------


def account_get_or_create(*, kind: str, currency: str, owner=None) -> Account:
    """The one account of this kind and currency (a creator's when ``owner`` is given)."""
    if kind not in AccountKind.values:
        raise InvalidInput(f"Unknown account kind {kind!r}.", code="invalid_account_kind")
    if (kind in CREATOR_KINDS) != (owner is not None):
        raise InvalidInput("Creator accounts have an owner, platform accounts none.", code="invalid_account_kind")
    currency = Money.zero(currency).currency  # refuses unknown codes, upper-cases
    try:
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(owner=owner, kind=kind, currency=currency)
    except IntegrityError:  # created concurrently: the unique constraints keep one
        account = Account.objects.get(owner=owner, kind=kind, currency=currency)
    return account


def creator_account(user, kind: str, currency: str) -> Account:
    return account_get_or_create(kind=kind, currency=currency, owner=user)


def platform_account(kind: str, currency: str) -> Account:
    return account_get_or_create(kind=kind, currency=currency)


# --- posting --------------------------------------------------------------------------------------


def _normalise(lines: Iterable[tuple[Account, Money]]) -> list[tuple[Account, Money]]:
    out = []
    for account, money in lines:
        if not isinstance(account, Account) or account.pk is None:
            raise InvalidInput("A ledger line names a saved account.", code="invalid_ledger_line")
        if not isinstance(money, Money):
            raise InvalidInput("A ledger line's amount is Money.", code="invalid_ledger_line")
        if money.currency != account.currency:
            raise CurrencyMismatch(f"Account {account.pk} holds {account.currency}, not {money.currency}.")
        if money.amount_minor:  # a zero line moves nothing (a 0 % fee): leave it out
            out.append((account, money))
    if len(out) < 2:
        raise UnbalancedTransaction("A ledger transaction needs at least two non-zero entries.")
    totals: dict[str, int] = defaultdict(int)
    for _, money in out:
        totals[money.currency] += money.amount_minor
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise UnbalancedTransaction(f"The entries do not add up to zero: {unbalanced}.")
    return out


def _fingerprint(source: str, lines) -> tuple[str, Counter]:
    return source, Counter((account_id, currency, amount) for account_id, currency, amount in lines)


def _same_posting(existing: Transaction, source: str, lines: list[tuple[Account, Money]]) -> Transaction:
    stored = existing.entries.values_list("account_id", "currency", "amount_minor")
    asked = [(account.pk, money.currency, money.amount_minor) for account, money in lines]
    if _fingerprint(existing.source, stored) != _fingerprint(source, asked):
        raise IdempotencyKeyReused(f"Idempotency key {existing.idempotency_key!r} was posted with other entries.")
    return existing


def ledger_post(
    *, source: str, idempotency_key: str, lines: Iterable[tuple[Account, Money]], memo: str = ""
) -> Transaction:
    """Post one balanced transaction, atomically; the same key again returns the first one (and
    raises ``IdempotencyKeyReused`` if the source or entries differ)."""
    if source not in Source.values:
        raise InvalidInput(f"Unknown ledger source {source!r}.", code="invalid_ledger_source")
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidInput("An idempotency key of 1–200 characters is required.", code="invalid_idempotency_key")
    lines = _normalise(lines)
    existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_posting(existing, source, lines)
    now = timezone.now()
    try:
        with transaction.atomic():
            posted = Transaction.objects.create(
                source=source, idempotency_key=idempotency_key, memo=memo[:500], created_at=now
            )
            Entry.objects.bulk_create(
                Entry(
                    transaction=posted,
                    account=account,
                    amount_minor=money.amount_minor,
                    currency=money.currency,
                    created_at=now,
                )
                for account, money in lines
            )
    except IntegrityError:
        # The same key posted concurrently and committed first: that one stands.
        existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_posting(existing, source, lines)
    return posted


def ledger_reverse(
    *, original: Transaction, idempotency_key: str, source: str | None = None, memo: str = ""
) -> Transaction:
    """The correction of a posted transaction: the same entries with the opposite signs."""
    lines = [(entry.account, -entry.money) for entry in original.entries.select_related("account")]
    return ledger_post(
        source=source or original.source,
        idempotency_key=idempotency_key,
        lines=lines,
        memo=memo or f"Reverses transaction {original.pk}",
    )


# --- splitting ------------------------------------------------------------------------------------


def fee_split(gross: Money, *, fee_bps: int | None = None) -> tuple[Money, Money]:
    """``(creator share, platform fee)`` of ``gross`` at ``fee_bps`` basis points (default
    ``MONETIZATION_PLATFORM_FEE_BPS``); largest remainder, so the two add up to ``gross`` exactly."""
    bps = settings.MONETIZATION_PLATFORM_FEE_BPS if fee_bps is None else fee_bps
    if isinstance(bps, bool) or not isinstance(bps, int) or not 0 <= bps <= BPS:
        raise InvalidInput("A fee is 0 to 10000 basis points.", code="invalid_fee")
    share, fee = gross.split([BPS - bps, bps])
    return share, fee


def ledger_post_earning(
    *,
    creator,
    gross: Money,
    source: str,
    idempotency_key: str,
    memo: str = "",
    fee_bps: int | None = None,
    funded_by: str = AccountKind.STRIPE_CLEARING,
) -> Transaction:
    """A creator earned ``gross`` (a tip, a membership payment, ad revenue): the share goes to
    their pending account, the platform's fee to ``platform_fees``, the whole comes out of
    ``funded_by`` (money Stripe collected, or the platform's ad revenue)."""
    if gross.amount_minor <= 0:
        raise InvalidInput("An earning is a positive amount.", code="invalid_amount")
    share, fee = fee_split(gross, fee_bps=fee_bps)
    return ledger_post(
        source=source,
        idempotency_key=idempotency_key,
        memo=memo,
        lines=[
            (platform_account(funded_by, gross.currency), -gross),
            (creator_account(creator, AccountKind.CREATOR_PENDING, gross.currency), share),
            (platform_account(AccountKind.PLATFORM_FEES, gross.currency), fee),
        ],
    )


# --- hold period ----------------------------------------------------------------------------------


def _due_q(cutoff: datetime) -> Q:
    # Pending entries past the hold, plus the releases already made (negative on pending): their
    # sum is what has matured and not been released yet.
    return Q(created_at__lte=cutoff) | Q(transaction__source=Source.HOLD_RELEASE)


def ledger_release_matured(*, now: datetime | None = None) -> int:
    """Move every creator's pending earnings older than ``MONETIZATION_HOLD_DAYS`` to available,
    one ``hold_release`` transaction per account; re-running posts nothing new. Returns how many
    transactions were posted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.MONETIZATION_HOLD_DAYS)
    due = (
        Entry.objects.filter(account__kind=AccountKind.CREATOR_PENDING)
        .filter(_due_q(cutoff))
        .values("account_id")
        .annotate(due=Sum("amount_minor"))
        .filter(due__gt=0)
        .order_by("account_id")
    )
    posted = 0
    for row in list(due):
        posted += _release_account(row["account_id"], cutoff)
    return posted


def _release_account(account_id: int, cutoff: datetime) -> int:
    with transaction.atomic():
        # The lock serialises two runs on one account, so neither releases what the other did.
        pending = Account.objects.select_for_update().get(pk=account_id)
        sums = Entry.objects.filter(account=pending).aggregate(
            due=Sum("amount_minor", filter=_due_q(cutoff)),
            released=Sum("amount_minor", filter=Q(transaction__source=Source.HOLD_RELEASE)),
        )
        due = sums["due"] or 0
        if due <= 0:
            return 0
        released_after = -(sums["released"] or 0) + due
        available = creator_account(pending.owner, AccountKind.CREATOR_AVAILABLE, pending.currency)
        ledger_post(
            source=Source.HOLD_RELEASE,
            # The running total released from this account: a repeated run computes the same key.
            idempotency_key=f"hold-release:{pending.pk}:{released_after}",
            lines=[(pending, Money(-due, pending.currency)), (available, Money(due, pending.currency))],
            memo=f"Earnings up to {cutoff:%Y-%m-%d %H:%M} UTC are available",
        )
    return 1

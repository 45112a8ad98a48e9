"""Ledger reads: balances are sums of entries (no stored balance), by kind, currency and source."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDay, TruncMonth

from monetization.ads import selectors as ads_selectors
from monetization.models import (
    CREATOR_KINDS,
    Account,
    AccountKind,
    BalanceCheckpoint,
    ConnectAccount,
    Entry,
    MembershipTier,
    Payout,
    Source,
)
from socialflow.core.money import Money

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: Money
    available: Money


@dataclass(frozen=True)
class SourceTotal:
    source: str
    amount: Money


def _with_balances(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """``accounts`` annotated with ``balance_minor``: each account's latest checkpoint plus the sum of
    its entries after it (on the ``(account, id)`` index), in the one query, however long the
    account's history."""
    latest = BalanceCheckpoint.objects.filter(account=OuterRef("pk")).order_by("-through_entry_id")
    tail = (
        Entry.objects.filter(account=OuterRef("pk"), id__gt=OuterRef("checkpoint_through"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    return accounts.annotate(
        checkpoint_through=Coalesce(Subquery(latest.values("through_entry_id")[:1]), Value(0)),
        checkpoint_total=Coalesce(Subquery(latest.values("total_minor")[:1]), Value(0)),
    ).annotate(balance_minor=F("checkpoint_total") + Coalesce(Subquery(tail), Value(0)))


def account_balance(account: Account) -> Money:
    """The sum of the account's entries: its latest checkpoint plus the entries after it."""
    total = _with_balances(Account.objects.filter(pk=account.pk)).values_list("balance_minor", flat=True).get()
    return Money(total, account.currency)


def earnings_balances(*, user) -> list[Balance]:
    """The user's pending (inside the hold period) and available earnings, one row per currency
    (one query, from the accounts' checkpoints)."""
    rows = _with_balances(Account.objects.filter(owner=user, kind__in=CREATOR_KINDS)).values_list(
        "currency", "kind", "balance_minor"
    )
    by_currency: dict[str, dict[str, int]] = defaultdict(dict)
    for currency, kind, total in rows:
        by_currency[currency][kind] = total
    return [
        Balance(
            currency=currency,
            pending=Money(kinds.get(AccountKind.CREATOR_PENDING, 0), currency),
            available=Money(kinds.get(AccountKind.CREATOR_AVAILABLE, 0), currency),
        )
        for currency, kinds in sorted(by_currency.items())
    ]


def earnings_by_source(*, user) -> list[SourceTotal]:
    """What the user's accounts received (net of refunds and payouts) per source and currency.
    Moving earnings from pending to available is internal and not listed."""
    sums = (
        Entry.objects.filter(account__owner=user, account__kind__in=CREATOR_KINDS)
        .exclude(transaction__source=Source.HOLD_RELEASE)
        .values_list("transaction__source", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("transaction__source", "currency")
    )
    return [SourceTotal(source=source, amount=Money(total, currency)) for source, currency, total in sums]


def earnings_entries(*, user) -> QuerySet[Entry]:
    """The entries on the user's own accounts, newest first (cursor-paged by the API)."""
    return (
        Entry.objects.filter(account__owner=user, account__kind__in=CREATOR_KINDS)
        .select_related("transaction", "account")
        .order_by("-created_at", "-id")
    )


# --- invariants (checked by tests and the admin; the service refuses to break them) ---------------


def ledger_unbalanced_transaction_ids() -> list[int]:
    """Transactions whose entries do not add up to zero in some currency: always empty."""
    sums = Entry.objects.values("transaction_id", "currency").annotate(total=Sum("amount_minor")).order_by()
    return sorted({row["transaction_id"] for row in sums if row["total"]})


def ledger_totals() -> dict[str, int]:
    """The sum of every account's balance per currency: always zero for each."""
    sums = Entry.objects.values_list("currency").annotate(total=Sum("amount_minor")).order_by()
    return dict(sums)


# Earning sources analytics reports as revenue (not payouts, fees, refunds or internal moves).
REVENUE_SOURCES = (Source.AD_REVENUE, Source.MEMBERSHIP, Source.TIP, Source.REVENUE_SHARE, Source.COPYRIGHT_SHARE)


def revenue_rows(*, user_id: int, start, end) -> list[tuple]:
    """The registered ``socialflow.core.revenue`` provider: what was credited to the user's accounts
    from earning sources in ``[start, end)``, as ``(created_at, source, currency, amount_minor)``."""
    return list(
        Entry.objects.filter(
            account__owner_id=user_id,
            transaction__source__in=REVENUE_SOURCES,
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by("created_at", "id")
        .values_list("created_at", "transaction__source", "currency", "amount_minor")
    )


def payouts_for(*, user) -> QuerySet:
    """The user's payouts, newest first (cursor-paged by the API)."""
    return Payout.objects.filter(user=user).order_by("-created_at", "-id")


def tiers_for(*, creator) -> QuerySet:
    """A creator's active membership tiers, cheapest first."""
    return MembershipTier.objects.filter(creator=creator, active=True).order_by("price_minor", "id")


def connect_status(*, user) -> ConnectAccount | None:
    """The creator's Stripe Connect account (onboarding state), if one was made."""
    return ConnectAccount.objects.filter(user=user).first()


def tier_get_own(*, creator, tier_id) -> MembershipTier | None:
    """One of the creator's active tiers, or None (someone else's or retired)."""
    if isinstance(tier_id, bool) or not isinstance(tier_id, int):
        return None
    return tiers_for(creator=creator).filter(pk=tier_id).first()


EARNINGS_BUCKETS = ("day", "month")


def _buckets(start: datetime, end: datetime, by: str) -> list[datetime]:
    out, cursor = [], start
    while cursor < end:
        out.append(cursor)
        if by == "day":
            cursor = datetime.fromordinal(cursor.toordinal() + 1).replace(tzinfo=UTC)
        else:
            year, month = (cursor.year + 1, 1) if cursor.month == 12 else (cursor.year, cursor.month + 1)
            cursor = cursor.replace(year=year, month=month, day=1)
    return out


def earnings_over_time(*, user, start: datetime, end: datetime, by: str = "day") -> list[dict]:
    """The user's earnings credited in ``[start, end)`` (UTC; ``start`` on a day or month boundary)
    per ``by`` (``day`` or ``month``) bucket and earning source, one chart per currency:
    ``[{"currency", "exponent", "labels": ["2026-03-01", …], "series": [{"source", "label",
    "minor": [int per bucket]}]}]``. Every bucket is listed (zeros included). One query."""
    if by not in EARNINGS_BUCKETS:
        raise ValueError(f"by is one of {EARNINGS_BUCKETS}")
    trunc = TruncDay if by == "day" else TruncMonth
    rows = (
        Entry.objects.filter(
            account__owner=user,
            transaction__source__in=REVENUE_SOURCES,
            created_at__gte=start,
            created_at__lt=end,
        )
        .annotate(bucket=trunc("created_at", tzinfo=UTC))
        .values_list("currency", "bucket", "transaction__source")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    buckets = _buckets(start, end, by)
    fmt = "%Y-%m-%d" if by == "day" else "%Y-%m"
    index = {bucket.strftime(fmt): i for i, bucket in enumerate(buckets)}
    by_currency: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for currency, bucket, source, total in rows:
        if isinstance(bucket, str):  # some backends hand back text
            bucket = datetime.fromisoformat(bucket)
        position = index.get(bucket.astimezone(UTC).strftime(fmt) if bucket.tzinfo else bucket.strftime(fmt))
        if position is None:
            continue
        series = by_currency[currency].setdefault(source, [0] * len(buckets))
        series[position] += total
    labels = dict(Source.choices)
    return [
        {
            "currency": currency,
            "exponent": Money.zero(currency).exponent,
            "labels": list(index),
            "series": [
                {"source": source, "label": str(labels.get(source, source)), "minor": sources[source]}
                for source in REVENUE_SOURCES
                if source in sources
            ],
        }
        for currency, sources in sorted(by_currency.items())
    ]


# --- ads ------------------------------------------------------------------------------------------


def ad_revenue_by_video(*, start, end):
    """Per video and currency, what advertisers were charged for impressions before it on UTC days
    ``start`` to ``end`` (dates, both included): ``VideoAdRevenue`` rows (``video_id``,
    ``creator_id``, ``impressions``, exact ``charged_micros``, ``amount`` in whole minor units).
    The revenue-share job credits creators from it."""
    return ads_selectors.ad_revenue_by_video(start=start, end=end)


def ad_revenue_for_share(*, start: datetime, end: datetime) -> dict[int, Money]:
    """The revenue-share job's ad revenue source (registered in ``MonetizationConfig.ready``): each
    video's ad revenue for the whole UTC days of ``[start, end)``, in ``MONETIZATION_CURRENCY``
    (campaigns bid in it), whole minor units rounded down (the fractions stay with the platform)."""
    first, last = start.astimezone(UTC).date(), (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    currency = settings.MONETIZATION_CURRENCY
    by_video: dict[int, Money] = {}
    for row in ad_revenue_by_video(start=first, end=last):
        if row.currency != currency:
            logger.warning("ad revenue of video %s in %s is not shared (not %s)", row.video_id, row.currency, currency)
            continue
        by_video[row.video_id] = row.amount
    return by_video

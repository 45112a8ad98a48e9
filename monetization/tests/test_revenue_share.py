"""Revenue share: each video's ad revenue for a period goes to its creator (55 %) and to monetize
claimants by matched duration, exact to the unit, once per (period, video) however often it runs.

The ad revenue per video is the job's input (the ads package registers ``ad_revenue_by_video``);
here it is given directly or through a registered source, over real videos, claims and users.
"""

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from copyright.models import Claim, Policy
from monetization import selectors, services, tasks
from monetization.ads.models import AdRevenueDay
from monetization.models import AccountKind, Entry, RevenueShare, Source, Transaction
from socialflow.celery import app as celery_app
from socialflow.core.exceptions import InvalidInput
from socialflow.core.money import Money
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 1, tzinfo=UTC)
NEXT = DAY + timedelta(days=1)


@pytest.fixture(autouse=True)
def _share_settings(settings):
    settings.MONETIZATION_AD_CREATOR_SHARE_BPS = 5500
    settings.MONETIZATION_REVENUE_SHARE_DAYS = 3


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def claim(video, claimant, *, duration_ms, policy=Policy.MONETIZE, status=Claim.Status.ACTIVE):
    return Claim.objects.create(
        video=video, claimant=claimant, uploader=video.author, policy=policy, duration_ms=duration_ms,
        status=status, source=Claim.Source.MANUAL,
    )  # fmt: skip


def pending(user, currency="USD") -> int:
    return sum(
        Entry.objects.filter(
            account__owner=user, account__kind=AccountKind.CREATOR_PENDING, currency=currency
        ).values_list("amount_minor", flat=True)
    )


def test_creator_gets_55_percent_of_an_unclaimed_video():
    video = VideoFactory()
    assert services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video={video.pk: usd(10_000)}) == 1
    assert pending(video.author) == 5500
    tx = Transaction.objects.get()
    assert tx.source == Source.REVENUE_SHARE
    assert tx.idempotency_key == f"revenue-share:20260301T000000Z-20260302T000000Z:{video.pk}:creator:{video.author_id}"
    platform = Entry.objects.get(transaction=tx, account__kind=AccountKind.PLATFORM_REVENUE)
    assert platform.amount_minor == -5500
    assert selectors.ledger_unbalanced_transaction_ids() == []


def test_a_monetize_claim_takes_its_matched_fraction_of_the_creators_part():
    video = VideoFactory(duration_ms=120_000)
    label = UserFactory()
    claim(video, label, duration_ms=30_000)  # 30 s of 120 s → 25 %
    claim(video, UserFactory(), duration_ms=60_000, policy=Policy.TRACK)  # track claims take nothing
    claim(video, UserFactory(), duration_ms=60_000, status=Claim.Status.RELEASED)  # released: nothing
    services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video={video.pk: usd(10_000)})
    assert pending(label) == 1375  # 25 % of 5500
    assert pending(video.author) == 4125
    assert Transaction.objects.get(source=Source.COPYRIGHT_SHARE).entries.count() == 2
    share = RevenueShare.objects.get()
    assert (share.gross_minor, share.creators_minor, share.currency) == (10_000, 5500, "USD")


def test_largest_remainder_keeps_every_cent():
    video = VideoFactory(duration_ms=90_000)
    a, b = UserFactory(), UserFactory()
    claim(video, a, duration_ms=30_000)
    claim(video, b, duration_ms=30_000)
    # 101 cents: platform 45.45, uploader and each claimant 18.5166…; floors 45 + 3 × 18 = 99, the
    # two cents left go to the largest remainders (.5166 > .45), the earlier on a tie: uploader, a.
    services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video={video.pk: usd(101)})
    assert [pending(video.author), pending(a), pending(b)] == [19, 19, 18]
    assert (
        sum(Entry.objects.filter(account__kind=AccountKind.PLATFORM_REVENUE).values_list("amount_minor", flat=True))
        == -56
    )


def test_rerun_pays_nothing_twice_even_if_claims_change():
    video = VideoFactory(duration_ms=120_000)
    label = UserFactory()
    revenue = {video.pk: usd(10_000)}
    services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video=revenue)
    claim(video, label, duration_ms=60_000)  # a claim made after the day was shared
    assert services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video=revenue) == 0
    assert pending(video.author) == 5500 and pending(label) == 0
    assert Transaction.objects.count() == 1
    # The next day the claim counts.
    services.revenue_share_allocate(start=NEXT, end=NEXT + timedelta(days=1), revenue_by_video=revenue)
    assert pending(label) == 2750 and pending(video.author) == 5500 + 2750


def test_claims_over_the_whole_video_are_scaled_and_never_exceed_the_creators_part():
    video = VideoFactory(duration_ms=60_000)
    a, b = UserFactory(), UserFactory()
    claim(video, a, duration_ms=60_000)
    claim(video, b, duration_ms=60_000)
    services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video={video.pk: usd(1000)})
    assert pending(a) + pending(b) == 550 and pending(video.author) == 0


def test_deleted_videos_zero_and_other_currencies():
    video, gone = VideoFactory(), VideoFactory()
    gone_id = gone.pk
    gone.delete()
    revenue = {video.pk: Money(999, "JPY"), gone_id: usd(500), VideoFactory().pk: usd(0)}
    assert services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video=revenue) == 1
    assert pending(video.author, "JPY") == 549  # 549.45 → 549
    assert Transaction.objects.count() == 1


def test_bad_periods_are_refused():
    with pytest.raises(InvalidInput):
        services.revenue_share_allocate(start=NEXT, end=DAY, revenue_by_video={})
    with pytest.raises(InvalidInput):
        services.revenue_share_allocate(start=DAY.replace(tzinfo=None), end=NEXT, revenue_by_video={})


def test_the_daily_task_reads_the_registered_source_for_the_last_days(monkeypatch):
    video = VideoFactory()
    asked = []

    def ad_revenue_by_video(*, start, end):
        asked.append((start, end))
        return {video.pk: usd(200)}

    monkeypatch.setattr(services, "_ad_revenue_source", None)
    assert tasks.allocate_revenue_shares() == 0  # no source registered: nothing to share
    services.set_ad_revenue_source(ad_revenue_by_video)
    try:
        assert tasks.allocate_revenue_shares() == 3
        assert tasks.allocate_revenue_shares() == 0
    finally:
        services.set_ad_revenue_source(None)
    assert len(asked) == 6 and all(end - start == timedelta(days=1) for start, end in asked)
    assert asked[2][1] == datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert pending(video.author) == 3 * 110
    beat = celery_app.conf.beat_schedule["monetization-revenue-share"]
    assert beat["task"] == "monetization.tasks.allocate_revenue_shares"


# --- property: exact to the unit -------------------------------------------------------------------

db_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@db_settings
@given(
    gross=st.integers(1, 10**12),
    bps=st.integers(0, 10_000),
    duration=st.integers(0, 600_000),
    claimed=st.lists(st.integers(0, 300_000), max_size=4),
)
def test_shares_are_exact_and_within_a_unit(gross, bps, duration, claimed):
    with rolled_back():
        video = VideoFactory(duration_ms=duration)
        claimants = [UserFactory() for _ in claimed]
        for user, ms in zip(claimants, claimed, strict=True):
            claim(video, user, duration_ms=ms)
        parts = services.revenue_share_parts(
            video_id=video.pk, author_id=video.author_id, gross=usd(gross), creator_bps=bps
        )
        creators_exact = Fraction(gross * bps, 10_000)
        total = sum(part.amount.amount_minor for part in parts)
        assert all(part.amount.amount_minor > 0 for part in parts)
        assert abs(total - creators_exact) < 1  # the creators' part, rounded by largest remainder
        denominator = max(duration, sum(claimed))
        for user, ms in zip(claimants, claimed, strict=True):
            got = sum(p.amount.amount_minor for p in parts if p.user_id == user.pk)
            exact = creators_exact * Fraction(ms, denominator) if denominator else 0
            assert abs(got - exact) < 1
        # Posted: the ledger stays balanced, and a re-run posts nothing more.
        with override_settings(MONETIZATION_AD_CREATOR_SHARE_BPS=bps):
            services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video={video.pk: usd(gross)})
            before = Transaction.objects.count()
            services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video={video.pk: usd(gross)})
        assert Transaction.objects.count() == before
        paid = sum(pending(u) for u in {video.author, *claimants})
        assert paid == total
        assert selectors.ledger_unbalanced_transaction_ids() == []


# --- concurrent runs (PostgreSQL: real concurrent transactions) --------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_concurrent_runs_of_a_period_pay_once():
    video = VideoFactory(duration_ms=120_000)
    label = UserFactory()
    claim(video, label, duration_ms=30_000)
    others = [VideoFactory() for _ in range(3)]
    revenue = {v.pk: usd(10_000) for v in [video, *others]}
    barrier = threading.Barrier(6)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(services.revenue_share_allocate(start=DAY, end=NEXT, revenue_by_video=revenue))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(outcomes) == 4 and len(outcomes) == 6
    assert RevenueShare.objects.count() == 4
    assert pending(label) == 1375 and pending(video.author) == 4125
    assert all(pending(v.author) == 5500 for v in others)
    assert selectors.ledger_unbalanced_transaction_ids() == []


def test_the_registered_source_is_the_ads_revenue_of_each_video(settings):
    # Ads record what impressions before a video charged, in micro-units; the job shares whole cents.
    settings.MONETIZATION_CURRENCY = "USD"
    video = VideoFactory()
    for day, micros in ((DAY.date(), 1_234_567_890), (DAY.date() - timedelta(days=1), 999_000_000)):
        AdRevenueDay.objects.create(
            video=video, creator=video.author, day=day, currency="USD", impressions=3, charged_micros=micros
        )
    assert selectors.ad_revenue_for_share(start=DAY, end=NEXT) == {video.pk: usd(1234)}  # that day only
    assert services.revenue_share_allocate(start=DAY, end=NEXT) == 1  # through the registered source
    assert pending(video.author) == 1234 * 55 // 100 + (1 if 1234 * 55 % 100 >= 50 else 0)
    assert services.revenue_share_allocate(start=DAY, end=NEXT) == 0

"""The math of serving an ad, free of the database: device classes, budget pacing, the
second-price auction and the exact charge of one impression. Integers and fractions only."""

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from monetization.ads.models import IMPRESSIONS_PER_CPM, MICROS, Device

_TABLET = ("ipad", "tablet", "kindle", "silk/", "playbook")
_MOBILE = ("mobi", "iphone", "ipod", "android", "windows phone", "blackberry", "opera mini")


def device_of(user_agent: str | None) -> str:
    """``tablet``, ``mobile`` or ``desktop`` from a User-Agent (an Android without "Mobile" is a
    tablet, as Google documents; anything unrecognised is a desktop)."""
    ua = (user_agent or "").lower()
    if any(word in ua for word in _TABLET) or ("android" in ua and "mobile" not in ua):
        return Device.TABLET
    if any(word in ua for word in _MOBILE):
        return Device.MOBILE
    return Device.DESKTOP


def _micros_of(delta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def pacing_probability(
    *, budget_micros: int, spent_micros: int, starts_at: datetime, ends_at: datetime, now: datetime
) -> Fraction:
    """How likely the campaign takes part in this auction, so its budget lasts its schedule.

    The rate it may still spend (budget left / time left) against the rate it has spent so far
    (spent / time elapsed): at or below target it always bids (1), spending twice as fast as it
    may, half the time. Nothing left, not started or over: 0."""
    remaining = budget_micros - spent_micros
    if remaining <= 0 or now < starts_at or now >= ends_at:
        return Fraction(0)
    elapsed, left = _micros_of(now - starts_at), _micros_of(ends_at - now)
    if spent_micros <= 0 or elapsed <= 0:
        return Fraction(1)
    allowed_rate = Fraction(remaining, left)
    observed_rate = Fraction(spent_micros, elapsed)
    return min(Fraction(1), allowed_rate / observed_rate)


def paced(probability: Fraction, rng: random.Random | None = None) -> bool:
    """One draw: ``True`` with ``probability`` (exact for 0 and 1, whatever the random source)."""
    if probability >= 1:
        return True
    if probability <= 0:
        return False
    return Fraction((rng or random).random()) < probability


@dataclass(frozen=True)
class Bid:
    campaign_id: int
    bid_cpm_minor: int


@dataclass(frozen=True)
class Outcome:
    campaign_id: int
    price_cpm_minor: int


def second_price(bids: Iterable[Bid], *, reserve_cpm_minor: int) -> Outcome | None:
    """The highest bid at or above the reserve wins and pays the larger of the runner-up's bid and
    the reserve (never more than it bid). Ties go to the older campaign (the lower id), which then
    pays its own bid, since the runner-up bid the same."""
    eligible: Sequence[Bid] = sorted(
        (bid for bid in bids if bid.bid_cpm_minor >= reserve_cpm_minor),
        key=lambda bid: (-bid.bid_cpm_minor, bid.campaign_id),
    )
    if not eligible:
        return None
    winner = eligible[0]
    runner_up = eligible[1].bid_cpm_minor if len(eligible) > 1 else 0
    return Outcome(winner.campaign_id, min(winner.bid_cpm_minor, max(runner_up, reserve_cpm_minor)))


def impression_price_micros(price_cpm_minor: int) -> int:
    """One impression at a CPM price, in micro-units: exact (a minor unit is 1,000,000 micros)."""
    return price_cpm_minor * MICROS // IMPRESSIONS_PER_CPM


def impression_charge_micros(*, price_cpm_minor: int, remaining_micros: int) -> int:
    """What one impression is charged: its price, or what is left of the budget if less."""
    return max(0, min(impression_price_micros(price_cpm_minor), remaining_micros))

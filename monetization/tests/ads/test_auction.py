"""The auction and pacing math (no database)."""

import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from monetization.ads.auction import (
    Bid,
    device_of,
    impression_charge_micros,
    impression_price_micros,
    paced,
    pacing_probability,
    second_price,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=10)


def test_the_winner_pays_the_runner_up_bid():
    outcome = second_price([Bid(1, 500), Bid(2, 800), Bid(3, 650)], reserve_cpm_minor=100)
    assert (outcome.campaign_id, outcome.price_cpm_minor) == (2, 650)


def test_a_lone_bidder_pays_the_reserve():
    outcome = second_price([Bid(7, 900)], reserve_cpm_minor=200)
    assert (outcome.campaign_id, outcome.price_cpm_minor) == (7, 200)


def test_bids_below_the_reserve_do_not_take_part_or_set_the_price():
    outcome = second_price([Bid(1, 150), Bid(2, 400)], reserve_cpm_minor=200)
    assert (outcome.campaign_id, outcome.price_cpm_minor) == (2, 200)
    assert second_price([Bid(1, 150)], reserve_cpm_minor=200) is None
    assert second_price([], reserve_cpm_minor=200) is None


def test_a_tie_goes_to_the_older_campaign_at_its_own_bid():
    outcome = second_price([Bid(9, 500), Bid(4, 500)], reserve_cpm_minor=100)
    assert (outcome.campaign_id, outcome.price_cpm_minor) == (4, 500)


@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=8), st.integers(1, 10**6))
def test_the_price_is_never_above_the_winning_bid_nor_below_the_reserve(amounts, reserve):
    bids = [Bid(i, amount) for i, amount in enumerate(amounts)]
    outcome = second_price(bids, reserve_cpm_minor=reserve)
    if max(amounts) < reserve:
        assert outcome is None
        return
    winning = max(amounts)
    assert {b.campaign_id: b.bid_cpm_minor for b in bids}[outcome.campaign_id] == winning
    assert reserve <= outcome.price_cpm_minor <= winning


def test_one_impression_costs_a_thousandth_of_the_cpm_exactly():
    assert impression_price_micros(500) == 500_000  # $5 CPM: half a cent per impression
    assert impression_price_micros(1) == 1_000  # 1/1000 of a cent, no rounding
    assert impression_charge_micros(price_cpm_minor=650, remaining_micros=10**9) == 650_000
    assert impression_charge_micros(price_cpm_minor=650, remaining_micros=1_234) == 1_234  # capped
    assert impression_charge_micros(price_cpm_minor=650, remaining_micros=0) == 0


@given(st.integers(1, 10_000), st.integers(1, 500), st.integers(1, 3000))
def test_impressions_spend_exactly_and_never_past_the_budget(budget_minor, cpm, impressions):
    budget, spent = budget_minor * 1_000_000, 0
    for _ in range(impressions):
        spent += impression_charge_micros(price_cpm_minor=cpm, remaining_micros=budget - spent)
    assert spent == min(budget, impressions * cpm * 1000)


def test_pacing_on_target_always_bids():
    # Half the time gone, half the budget spent: on target.
    p = pacing_probability(
        budget_micros=1000, spent_micros=500, starts_at=START, ends_at=END, now=START + timedelta(days=5)
    )
    assert p == 1


def test_pacing_throttles_a_campaign_spending_too_fast():
    # A fifth of the time gone, half spent: may spend 500 over 8 days, spent 500 in 2: a quarter.
    p = pacing_probability(
        budget_micros=1000, spent_micros=500, starts_at=START, ends_at=END, now=START + timedelta(days=2)
    )
    assert p == Fraction(1, 4)


def test_pacing_before_any_spend_or_outside_the_schedule():
    kwargs = {"budget_micros": 1000, "starts_at": START, "ends_at": END}
    assert pacing_probability(spent_micros=0, now=START + timedelta(hours=1), **kwargs) == 1
    assert pacing_probability(spent_micros=0, now=START - timedelta(seconds=1), **kwargs) == 0
    assert pacing_probability(spent_micros=0, now=END, **kwargs) == 0
    assert pacing_probability(spent_micros=1000, now=START + timedelta(days=1), **kwargs) == 0


def test_the_pacing_draw_uses_the_injected_random_source():
    class Fixed(random.Random):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def random(self):
            return self.value

    assert paced(Fraction(1, 4), Fixed(0.2)) is True
    assert paced(Fraction(1, 4), Fixed(0.3)) is False
    assert paced(Fraction(1), Fixed(0.999)) is True
    assert paced(Fraction(0), Fixed(0.0)) is False
    draws = random.Random(42)
    share = sum(paced(Fraction(1, 4), draws) for _ in range(4000)) / 4000
    assert 0.22 < share < 0.28


def test_devices_from_user_agents():
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
    pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
    galaxy_tab = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
    ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
    mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15"
    assert [device_of(ua) for ua in (iphone, pixel, galaxy_tab, ipad, mac, "", None)] == [
        "mobile",
        "mobile",
        "tablet",
        "tablet",
        "desktop",
        "desktop",
        "desktop",
    ]

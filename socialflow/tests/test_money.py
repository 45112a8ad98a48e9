"""Money: exact minor units, one display rule, and sharing out without losing a unit."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialflow.core import exceptions as domain
from socialflow.core.money import EXPONENTS, MAX_MINOR, CurrencyMismatch, Money, MoneyError

currencies = st.sampled_from(sorted(EXPONENTS))
amounts = st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR)
money = st.builds(Money, amounts, currencies)
weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(any)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Money(1234, "USD"), "$12.34"),
        (Money(-50, "EUR"), "-€0.50"),
        (Money(500, "JPY"), "¥500"),
        (Money(12345, "BHD"), "12.345 BHD"),
        (Money(100000, "CHF"), "1000.00 CHF"),
        (Money(5, "GBP"), "£0.05"),
        (Money(0, "KWD"), "0.000 KWD"),
        (Money(-7, "CLF"), "-0.0007 CLF"),
    ],
)
def test_it_formats_by_one_rule(value, text):
    assert value.format() == text == str(value)
    assert Money.parse(text) == value


def test_it_uses_iso_exponents():
    assert (Money(1, "JPY").exponent, Money(1, "usd").exponent, Money(1, "KWD").exponent) == (0, 2, 3)
    assert Money(1, "usd").currency == "USD"


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.34", "USD", 1234), ("12.3", "USD", 1230), ("12", "USD", 1200), ("-0.01", "EUR", -1), ("+5", "JPY", 5)],
)
def test_it_parses_decimal_strings_to_minor_units(text, currency, minor):
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "code"),
    [
        ("0.001", "USD", "too_many_decimals"),
        ("5.0", "JPY", "too_many_decimals"),
        ("1,000.00", "USD", "invalid_amount"),
        ("1e3", "USD", "invalid_amount"),
        ("NaN", "USD", "invalid_amount"),
        (" 1.00", "USD", "invalid_amount"),
        ("", "USD", "invalid_amount"),
        ("1.00", "XXX", "unknown_currency"),
        ("1.00", None, "unknown_currency"),
        ("$1.00", "EUR", "currency_mismatch"),
        ("9" * 40, "USD", "amount_too_large"),
        (str(MAX_MINOR + 1), "JPY", "amount_too_large"),
    ],
)
def test_it_refuses_what_is_not_an_amount(text, currency, code):
    with pytest.raises(MoneyError) as exc:
        Money.parse(text, currency)
    assert exc.value.code == code
    assert isinstance(exc.value, domain.InvalidInput)  # a 400 if it reaches the API


def test_it_refuses_non_integer_amounts():
    for amount in (1.5, Decimal("1"), True, "1"):
        with pytest.raises(MoneyError):
            Money(amount, "USD")


def test_it_adds_and_subtracts_within_one_currency():
    assert Money(150, "USD") + Money(75, "USD") == Money(225, "USD")
    assert Money(150, "USD") - Money(175, "USD") == Money(-25, "USD")
    assert -Money(5, "EUR") == Money(-5, "EUR")
    assert Money(1, "USD") < Money(2, "USD") <= Money(2, "USD")
    with pytest.raises(CurrencyMismatch):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(CurrencyMismatch):
        Money(1, "USD") < Money(1, "EUR")  # noqa: B015 - the comparison is the test
    assert Money(1, "USD") != Money(1, "EUR")
    with pytest.raises(TypeError):
        Money(1, "USD") + 1


def test_it_is_immutable_and_hashable():
    value = Money(1, "USD")
    with pytest.raises(AttributeError):
        value.amount_minor = 2
    assert len({value, Money(1, "USD"), Money(1, "EUR")}) == 2


def test_it_allocates_leftover_units_to_the_earliest_shares():
    assert [m.amount_minor for m in Money(1000, "USD").allocate(3)] == [334, 333, 333]
    assert [m.amount_minor for m in Money(-1000, "USD").allocate(3)] == [-334, -333, -333]
    assert [m.amount_minor for m in Money(100, "USD").split([70, 20, 10])] == [70, 20, 10]
    assert [m.amount_minor for m in Money(5, "JPY").split([1, 0, 1])] == [3, 0, 2]
    assert [m.amount_minor for m in Money(10, "USD").split([Fraction(1, 3), Decimal("0.5")])] == [4, 6]


@pytest.mark.parametrize("bad", [[], [0, 0], [-1, 2], [1.5], [True], [Decimal("NaN")]])
def test_it_refuses_weights_that_share_nothing(bad):
    with pytest.raises(MoneyError):
        Money(100, "USD").split(bad)


@given(money, weights)
def test_split_sums_exactly(value, ws):
    shares = value.split(ws)
    assert len(shares) == len(ws)
    assert sum(s.amount_minor for s in shares) == value.amount_minor
    assert {s.currency for s in shares} == {value.currency}


@given(money, weights)
def test_no_share_is_a_unit_away_from_its_exact_share(value, ws):
    total = sum(ws)
    for share, weight in zip(value.split(ws), ws, strict=True):
        assert abs(share.amount_minor - Fraction(value.amount_minor * weight, total)) < 1


@given(money, st.integers(min_value=1, max_value=50))
def test_allocate_shares_differ_by_at_most_one_unit(value, parts):
    shares = [s.amount_minor for s in value.allocate(parts)]
    assert sum(shares) == value.amount_minor
    assert max(shares) - min(shares) <= 1


@given(money)
def test_format_and_parse_round_trip(value):
    assert Money.parse(value.format()) == value
    assert Money.parse(value.decimal_string(), value.currency) == value
    assert Decimal(value.decimal_string()) == value.to_decimal()

"""Money as an integer count of a currency's minor unit (cents, yen, fils), never a float.

``Money(1234, "USD")`` is $12.34. Amounts are exact integers, arithmetic stays within one currency,
and ``split``/``allocate`` share an amount out without losing or creating a minor unit.

Display rule (locale-neutral, so the same text in every email, push and API sentence): a ``-``
sign first if negative, then the symbol glued to the amount for the four currencies whose symbol
is unambiguous to our readers (``$`` USD, ``€`` EUR, ``£`` GBP, ``¥`` JPY), otherwise the amount,
a space and the ISO code. The amount has exactly the currency's number of decimals, ``.`` as the
decimal point and no grouping: ``$12.34``, ``-€0.50``, ``¥500``, ``12.345 BHD``, ``1000.00 CHF``.
``Money.parse`` reads that text back, or a plain decimal string with the currency given.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import total_ordering

from socialflow.core.exceptions import InvalidInput

# ISO 4217 minor-unit exponents. Unlisted currencies are refused rather than guessed.
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ "
    "GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA "
    "MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR "
    "RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD "
    "TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL"
)
EXPONENTS: dict[str, int] = {
    code: exponent
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
    for code in codes.split()
}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_BY_SYMBOL = {symbol: code for code, symbol in SYMBOLS.items()}

# What a PostgreSQL bigint holds: every amount we make must be storable.
MAX_MINOR = 2**63 - 1

_DECIMAL = re.compile(r"(?P<sign>[-+]?)(?P<units>[0-9]+)(?:\.(?P<fraction>[0-9]+))?")
_SYMBOL_FORM = re.compile(r"(?P<sign>-?)(?P<symbol>[$€£¥])(?P<number>[0-9.]+)")
_CODE_FORM = re.compile(r"(?P<sign>-?)(?P<number>[0-9.]+) (?P<code>[A-Z]{3})")


class MoneyError(InvalidInput, ValueError):
    """An amount or currency that is not acceptable (a 400 when it reaches the API)."""

    default_message = "Invalid amount."
    default_code = "invalid_amount"


class CurrencyMismatch(MoneyError):
    default_message = "Amounts in different currencies cannot be combined."
    default_code = "currency_mismatch"


def exponent_of(currency: str) -> int:
    """How many decimals the currency's minor unit has (``USD`` 2, ``JPY`` 0, ``BHD`` 3)."""
    try:
        return EXPONENTS[currency.upper()]
    except (KeyError, AttributeError):
        raise MoneyError(f"Unknown currency {currency!r}.", code="unknown_currency") from None


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int to Python, never an amount.
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise MoneyError("The amount must be a whole number of minor units.")
        if abs(self.amount_minor) > MAX_MINOR:
            raise MoneyError("The amount is too large.", code="amount_too_large")
        exponent_of(self.currency)  # refuses unknown codes
        object.__setattr__(self, "currency", self.currency.upper())

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str | None = None) -> "Money":
        """``"12.34"`` with ``currency="USD"``, or a formatted ``"$12.34"`` / ``"12.345 BHD"``.

        Refuses more decimals than the currency has (``"0.001"`` USD) rather than rounding, and
        anything else than the forms above (grouping, exponents, spaces, NaN).
        """
        if not isinstance(text, str):
            raise MoneyError("The amount must be text.")
        number, named = text, None
        if match := _SYMBOL_FORM.fullmatch(text):
            number, named = match["sign"] + match["number"], _BY_SYMBOL[match["symbol"]]
        elif match := _CODE_FORM.fullmatch(text):
            number, named = match["sign"] + match["number"], match["code"]
        if named and currency and named != currency.upper():
            raise CurrencyMismatch(f"The amount is in {named}, not {currency.upper()}.")
        currency = named or currency
        if not currency:
            raise MoneyError("Say which currency the amount is in.", code="unknown_currency")
        exponent = exponent_of(currency)
        match = _DECIMAL.fullmatch(number)
        if match is None:
            raise MoneyError(f"{text!r} is not an amount like 12.34.")
        fraction = match["fraction"] or ""
        if len(fraction) > exponent:
            raise MoneyError(f"{currency.upper()} amounts have at most {exponent} decimals.", code="too_many_decimals")
        if len(match["units"]) > 30:  # far past MAX_MINOR; keeps int() cheap on hostile input
            raise MoneyError("The amount is too large.", code="amount_too_large")
        minor = int(match["units"]) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
        return cls(-minor if match["sign"] == "-" else minor, currency)

    # --- reading --------------------------------------------------------------------------------

    @property
    def exponent(self) -> int:
        return EXPONENTS[self.currency]

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-self.exponent)

    def decimal_string(self) -> str:
        """The amount with exactly the currency's decimals: ``"12.34"``, ``"-0.50"``, ``"500"``."""
        units, minor = divmod(abs(self.amount_minor), 10**self.exponent)
        text = f"{units}.{minor:0{self.exponent}d}" if self.exponent else str(units)
        return f"-{text}" if self.amount_minor < 0 else text

    def format(self) -> str:
        """For people: ``$12.34``, ``¥500``, ``12.345 BHD`` (see the module's rule)."""
        number = self.decimal_string().lstrip("-")
        sign = "-" if self.amount_minor < 0 else ""
        if symbol := SYMBOLS.get(self.currency):
            return f"{sign}{symbol}{number}"
        return f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    # --- arithmetic (one currency) --------------------------------------------------------------

    def _same(self, other: object) -> "Money":
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} with {other.currency}.")
        return other

    def __add__(self, other: "Money") -> "Money":
        return Money(self.amount_minor + self._same(other).amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.amount_minor - self._same(other).amount_minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: "Money") -> bool:
        return self.amount_minor < self._same(other).amount_minor

    # --- sharing out ----------------------------------------------------------------------------

    def split(self, weights) -> list["Money"]:
        """Shares in proportion to ``weights`` (non-negative numbers, not all zero) that add up to
        exactly this amount. Largest remainder: each share is its exact share rounded down (toward
        zero), and the units left over go one each to the largest remainders (the earlier share on
        a tie), so no share is a whole unit or more away from its exact share."""
        fractions = [_weight(w) for w in weights]
        total = sum(fractions, Fraction(0))
        if not fractions or total <= 0:
            raise MoneyError("Split among at least one positive weight.", code="invalid_weights")
        magnitude = abs(self.amount_minor)
        exact = [magnitude * w / total for w in fractions]
        shares = [int(e) for e in exact]  # floor: every e >= 0
        left = magnitude - sum(shares)
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
        for i in by_remainder[:left]:
            shares[i] += 1
        sign = -1 if self.amount_minor < 0 else 1
        return [Money(sign * share, self.currency) for share in shares]

    def allocate(self, parts: int) -> list["Money"]:
        """``parts`` shares as equal as minor units allow, larger ones first: $10 / 3 → 3.34, 3.33, 3.33."""
        if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
            raise MoneyError("Allocate among at least one part.", code="invalid_weights")
        return self.split([1] * parts)


def _weight(value) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise MoneyError("Weights are integers, fractions or decimals.", code="invalid_weights")
    if isinstance(value, Decimal) and not value.is_finite():
        raise MoneyError("Weights are finite numbers.", code="invalid_weights")
    weight = Fraction(value)
    if weight < 0:
        raise MoneyError("Weights cannot be negative.", code="invalid_weights")
    return weight

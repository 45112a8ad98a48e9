"""The plan catalogue, in one place: price per month (minor units of ``CURRENCY``) and quotas.

A quota of ``None`` is unlimited. Stripe Prices for the paid plans are made on first use and kept in
``PlanPrice`` (a changed price here gets a new Stripe Price; subscribers keep theirs until they
change plan).
"""

from dataclasses import dataclass

from socialflow.core.money import Money
from socialflow.core.quotas import Limits

GIB = 1 << 30
CURRENCY = "USD"


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    price_minor: int  # per month
    max_videos: int | None
    storage_bytes: int | None
    live_streams: int | None

    @property
    def price(self) -> Money:
        return Money(self.price_minor, CURRENCY)

    @property
    def paid(self) -> bool:
        return self.price_minor > 0

    @property
    def limits(self) -> Limits:
        return Limits(
            plan=self.code,
            max_videos=self.max_videos,
            storage_bytes=self.storage_bytes,
            live_streams=self.live_streams,
        )


FREE = "free"

PLANS: tuple[Plan, ...] = (
    Plan(FREE, "Free", 0, max_videos=50, storage_bytes=5 * GIB, live_streams=1),
    Plan("basic", "Basic", 999, max_videos=100, storage_bytes=50 * GIB, live_streams=1),
    Plan("premium", "Premium", 1999, max_videos=500, storage_bytes=250 * GIB, live_streams=1),
    Plan("pro", "Pro", 4999, max_videos=2000, storage_bytes=1024 * GIB, live_streams=3),
    Plan("enterprise", "Enterprise", 9999, max_videos=None, storage_bytes=None, live_streams=None),
)
BY_CODE: dict[str, Plan] = {plan.code: plan for plan in PLANS}
CODES = tuple(BY_CODE)
PAID_CODES = tuple(plan.code for plan in PLANS if plan.paid)


def plan_get(code: str) -> Plan | None:
    return BY_CODE.get(code)

"""Reads for creator plans: a creator's current plan and state, and their usage against it."""

from dataclasses import dataclass

from monetization.plans import catalogue
from monetization.plans.catalogue import Plan
from monetization.plans.models import CreatorSubscription
from socialflow.core import quotas


def subscription_of(*, user_id: int) -> CreatorSubscription | None:
    return CreatorSubscription.objects.filter(user_id=user_id).first()


def plan_in_effect(subscription: CreatorSubscription | None) -> Plan:
    """The plan whose quotas apply: the subscription's while it is live, else free."""
    if subscription is not None and subscription.is_live:
        return catalogue.plan_get(subscription.plan) or catalogue.BY_CODE[catalogue.FREE]
    return catalogue.BY_CODE[catalogue.FREE]


def plan_for_user(*, user_id: int) -> Plan:
    return plan_in_effect(subscription_of(user_id=user_id))


@dataclass(frozen=True)
class PlanState:
    plan: Plan
    subscription: CreatorSubscription | None

    @property
    def status(self) -> str:
        sub = self.subscription
        return sub.status if sub is not None and sub.is_live else "free"


def plan_state(*, user) -> PlanState:
    """The caller's plan in effect and the subscription behind it (``None``: never subscribed)."""
    subscription = subscription_of(user_id=user.pk)
    return PlanState(plan=plan_in_effect(subscription), subscription=subscription)


@dataclass(frozen=True)
class UsageLine:
    resource: str
    used: int
    limit: int | None

    @property
    def percent(self) -> int:
        if self.limit is None:
            return 0
        if self.limit == 0:
            return 100 if self.used else 0
        return min(100, self.used * 100 // self.limit)

    @property
    def over(self) -> bool:
        return self.limit is not None and self.used > self.limit


def plan_usage(*, user, plan: Plan) -> list[UsageLine]:
    """What the user uses of each quota (counted by the apps that own it) against ``plan``."""
    limits = plan.limits
    return [
        UsageLine(resource=resource, used=quotas.usage(user, resource), limit=limits.limit(resource))
        for resource in quotas.RESOURCES
    ]

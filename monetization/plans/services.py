"""Writes for creator plans: subscribing (Checkout, with a trial on the first paid plan), changing
plan with proration, cancelling at period end, and the subscription webhooks that set the state.

The plan in effect is the one the subscription's Stripe Price belongs to (``PlanPrice``), never the
metadata, so a change made on Stripe's dashboard counts too. The metadata (``socialflow_plan``,
``socialflow_user``) marks the subscription as a plan (not a membership) and names its creator.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from monetization import gateway
from monetization import services as ledger
from monetization.models import AccountKind, Membership, Source
from monetization.plans import catalogue, selectors
from monetization.plans.catalogue import Plan
from monetization.plans.models import CreatorSubscription, PlanPrice
from socialflow.core import quotas
from socialflow.core.exceptions import Conflict, InvalidInput
from socialflow.core.money import Money

logger = logging.getLogger(__name__)

PLAN_METADATA = "socialflow_plan"
USER_METADATA = "socialflow_user"


class PlanLimitsProvider(quotas.LimitsProvider):
    """``socialflow.core.quotas``' limits: the quotas of the creator's plan in effect."""

    def limits_for(self, user_id: int) -> quotas.Limits:
        return selectors.plan_for_user(user_id=user_id).limits


def plan_price(*, plan: Plan) -> PlanPrice:
    """The plan's Stripe Price at its catalogue price (made once; two racing makers keep one)."""
    existing = PlanPrice.objects.filter(plan=plan.code, price_minor=plan.price_minor, currency=catalogue.CURRENCY)
    found = existing.first()
    if found is not None:
        return found
    price = gateway.price_create(
        amount_minor=plan.price_minor,
        currency=catalogue.CURRENCY,
        name=f"Social Flow {plan.name}",
        interval="month",
        metadata={PLAN_METADATA: plan.code},
    )
    try:
        with transaction.atomic():
            return PlanPrice.objects.create(
                plan=plan.code, price_minor=plan.price_minor, currency=catalogue.CURRENCY, stripe_price_id=price["id"]
            )
    except IntegrityError:
        return existing.get()


@dataclass(frozen=True)
class PlanChange:
    """What ``plan_subscribe`` did: a Checkout page to pay on (a first subscription), or the
    subscription moved to the new plan (``checkout_url`` ``None``)."""

    checkout_url: str | None
    state: selectors.PlanState


def _paid_plan(code: str) -> Plan:
    plan = catalogue.plan_get(code)
    if plan is None:
        raise InvalidInput(f"No such plan: choose one of {', '.join(catalogue.CODES)}.", field="plan")
    if not plan.paid:
        raise InvalidInput("The free plan needs no subscription: cancel yours instead.", field="plan", code="plan_free")
    return plan


def plan_subscribe(*, user, plan_code: str) -> PlanChange:
    """Subscribe to a paid plan or change to another one.

    No live subscription: a Checkout Session (subscription mode; ``MONETIZATION_PLAN_TRIAL_DAYS`` of
    trial on the creator's first paid subscription); the webhooks record it. A live one: its item
    moves to the new plan's Price with ``proration_behavior="create_prorations"`` (and a pending
    cancellation is withdrawn). Moving below current usage is allowed; new uploads are refused.
    """
    plan = _paid_plan(plan_code)
    price = plan_price(plan=plan)
    subscription = selectors.subscription_of(user_id=user.pk)
    if subscription is not None and subscription.is_live:
        if subscription.plan == plan.code and not subscription.cancel_at_period_end:
            raise Conflict(f"You are already on the {plan.name} plan.", code="plan_unchanged")
        remote = gateway.subscription_retrieve(subscription.stripe_subscription_id)
        item_id = remote["items"]["data"][0]["id"]
        updated = gateway.subscription_change_price(
            subscription_id=subscription.stripe_subscription_id,
            item_id=item_id,
            price_id=price.stripe_price_id,
            idempotency_key=f"plan-change-{subscription.pk}-{plan.code}-{timezone.now():%Y%m%d%H%M}",
        )
        stripe_plan_subscription_changed(updated)
        return PlanChange(checkout_url=None, state=selectors.plan_state(user=user))
    studio = settings.SITE_URL + "/studio/monetization/"
    session = gateway.checkout_session_create(
        price_id=price.stripe_price_id,
        success_url=studio + "?plan=done",
        cancel_url=studio + "?plan=canceled",
        customer_email=user.email,
        metadata={PLAN_METADATA: plan.code, USER_METADATA: user.pk},
        idempotency_key=f"plan-checkout-{user.pk}-{plan.code}-{timezone.now():%Y%m%d%H%M}",
        # The trial is for a creator's first paid subscription: any row means they had one.
        trial_period_days=settings.MONETIZATION_PLAN_TRIAL_DAYS if subscription is None else None,
    )
    return PlanChange(checkout_url=session["url"], state=selectors.plan_state(user=user))


def plan_cancel(*, user) -> selectors.PlanState:
    """Cancel at the end of the period (or of the trial): the plan applies until then."""
    subscription = selectors.subscription_of(user_id=user.pk)
    if subscription is None or not subscription.is_live:
        raise Conflict("You have no paid plan to cancel.", code="no_plan")
    if not subscription.cancel_at_period_end:
        updated = gateway.subscription_cancel_at_period_end(subscription_id=subscription.stripe_subscription_id)
        stripe_plan_subscription_changed(updated)
    return selectors.plan_state(user=user)


# --- webhooks -------------------------------------------------------------------------------------

_STATUS = {
    "trialing": CreatorSubscription.Status.TRIALING,
    "active": CreatorSubscription.Status.ACTIVE,
    "past_due": CreatorSubscription.Status.PAST_DUE,
    "unpaid": CreatorSubscription.Status.PAST_DUE,
    "incomplete": CreatorSubscription.Status.INCOMPLETE,
    "incomplete_expired": CreatorSubscription.Status.CANCELED,
    "canceled": CreatorSubscription.Status.CANCELED,
    "paused": CreatorSubscription.Status.CANCELED,
}


def is_plan_subscription(subscription: dict) -> bool:
    return PLAN_METADATA in (subscription.get("metadata") or {})


def _when(timestamp) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else None


def _first_item(subscription: dict) -> dict:
    data = (subscription.get("items") or {}).get("data") or []
    return data[0] if data else {}


def _price_id(item: dict) -> str:
    price = item.get("price") or {}
    return price if isinstance(price, str) else price.get("id") or ""


def _plan_code(subscription: dict) -> str | None:
    """The plan of the subscription's Price; the metadata's for a Price we don't know."""
    price_id = _price_id(_first_item(subscription))
    known = PlanPrice.objects.filter(stripe_price_id=price_id).values_list("plan", flat=True).first()
    code = known or (subscription.get("metadata") or {}).get(PLAN_METADATA)
    return code if code in catalogue.PAID_CODES else None


def stripe_plan_subscription_changed(subscription: dict, *, event_id: str = "", at: datetime | None = None) -> None:
    """created / updated / deleted: the creator's plan, status, trial and period follow the
    subscription as it was ``at`` (the event's creation; now for the answer of our own call).

    Applying the same state twice changes nothing; a state older than the one stored is a late
    delivery and is ignored (Stripe does not deliver in order); an event about a subscription other
    than the creator's current one is ignored unless the current one has ended (then it is new)."""
    at = at or timezone.now()
    status = _STATUS.get(subscription.get("status"))
    metadata = subscription.get("metadata") or {}
    user_id = str(metadata.get(USER_METADATA) or "")
    code = _plan_code(subscription)
    if status is None or code is None or not user_id.isdigit():
        logger.warning("plan subscription %s: no plan, user or known status; ignored", subscription.get("id"))
        return
    item = _first_item(subscription)
    fields = {
        "plan": code,
        "status": status,
        "stripe_customer_id": subscription.get("customer") or "",
        "trial_end": _when(subscription.get("trial_end")),
        # Newer API versions keep the period on the item, older ones (and localstripe) on the subscription.
        "current_period_end": _when(subscription.get("current_period_end") or item.get("current_period_end")),
        "cancel_at_period_end": bool(subscription.get("cancel_at_period_end")),
    }
    with transaction.atomic():
        row = CreatorSubscription.objects.select_for_update().filter(user_id=int(user_id)).first()
        if row is None:
            CreatorSubscription.objects.create(
                user_id=int(user_id), stripe_subscription_id=subscription["id"], state_at=at, **fields
            )
            return
        if row.stripe_subscription_id == subscription["id"] and row.state_at is not None and at < row.state_at:
            return
        if row.stripe_subscription_id != subscription["id"]:
            if row.is_live or status not in CreatorSubscription.LIVE_STATUSES:
                return  # an old subscription's late event, or a second one while one is live
            fields["stripe_subscription_id"] = subscription["id"]
        changed = [name for name, value in fields.items() if getattr(row, name) != value]
        if not changed:
            return
        for name in changed:
            setattr(row, name, fields[name])
        row.state_at, row.updated_at = at, timezone.now()
        row.save(update_fields=[*changed, "state_at", "updated_at"])


def stripe_plan_subscription_deleted(subscription: dict, *, event_id: str = "", at: datetime | None = None) -> None:
    stripe_plan_subscription_changed({**subscription, "status": "canceled"}, event_id=event_id, at=at)


def invoice_is_plan(invoice: dict) -> bool:
    """Whether the invoice bills a creator plan (not a membership): a subscription we know as a
    plan, else the subscription's metadata (on the invoice, or asked of Stripe when the invoice
    comes before the subscription's own events)."""
    subscription_id = gateway.invoice_subscription_id(invoice)
    if not subscription_id:
        return False
    if CreatorSubscription.objects.filter(stripe_subscription_id=subscription_id).exists():
        return True
    if Membership.objects.filter(stripe_subscription_id=subscription_id).exists():
        return False
    metadata = gateway.invoice_subscription_metadata(invoice)
    if metadata is None:
        metadata = gateway.subscription_retrieve(subscription_id).get("metadata") or {}
    return PLAN_METADATA in metadata


def stripe_plan_invoice_paid(invoice: dict, *, event_id: str = "") -> None:
    """A creator paid for their plan (the first period after a trial, a renewal, a prorated
    upgrade): money Stripe collected is the platform's revenue, posted once per invoice."""
    amount = int(invoice.get("amount_paid") or 0)
    if amount <= 0:
        return  # a trial's zero invoice
    gross = Money(amount, str(invoice.get("currency", "")).upper())
    ledger.ledger_post(
        source=Source.PLAN,
        idempotency_key=f"plan-invoice:{invoice.get('id')}",
        memo=f"Creator plan, invoice {invoice.get('id')}",
        lines=[
            (ledger.platform_account(AccountKind.STRIPE_CLEARING, gross.currency), -gross),
            (ledger.platform_account(AccountKind.PLATFORM_REVENUE, gross.currency), gross),
        ],
    )

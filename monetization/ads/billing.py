"""Advertiser billing: a prepaid balance topped up by card, budgets reserved from it, spend posted.

Every amount moves through the ledger (``monetization.services.ledger_post``) between the
advertiser's two accounts and the platform's:

- a **top-up** (a PaymentIntent, paid by the ``payment_intent.succeeded`` webhook):
  ``stripe_clearing`` −amount, ``advertiser_prepaid`` +amount, keyed ``ad-top-up:<id>``;
- a campaign's **reservation** follows what it may still spend: its whole budget while it is open,
  only its unbilled spend once it is closed (rejected, or ended and past the events' window). A
  change moves the difference between ``advertiser_prepaid`` and ``advertiser_reserved``, keyed
  ``ad-budget:<campaign>:<funding_version>`` (the counter moves in the same database transaction);
  reserving more than the prepaid balance holds is refused (``insufficient_balance``, 409);
- **spend** (``spent_micros``, exact) is posted in whole minor units from ``advertiser_reserved``
  to ``platform_revenue`` by a periodic task, keyed by the running total billed
  (``ad-spend:<campaign>:<billed>``); the part below a unit waits for the next run;
- a **refund** of unused balance (what ``available`` holds, never a running campaign's budget)
  goes back to the cards of the paid top-ups, newest first: ``advertiser_prepaid`` −amount,
  ``stripe_clearing`` +amount, keyed ``ad-refund:<id>`` (a refund made on Stripe's dashboard, seen
  in ``charge.refunded``: ``ad-top-up-refund:<top-up>:<refunded total>``).

Locks: the campaign row, then the advertiser's prepaid account row (``select_for_update``) while
its balance is read and a reservation posted; a refund takes the prepaid account row, then the
top-ups'. So concurrent reservations and refunds of one advertiser are served one after the other
and together never take more than the balance.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from monetization import gateway
from monetization import services as ledger
from monetization.ads import selectors as ads_selectors
from monetization.ads.models import MICROS, AdRefund, AdRefundPart, AdTopUp, Campaign
from monetization.models import Account, AccountKind, Source
from socialflow.core import events
from socialflow.core.exceptions import Conflict, DomainError, InvalidInput
from socialflow.core.money import Money

logger = logging.getLogger(__name__)

TOP_UP_METADATA = "socialflow_ad_top_up"


class InsufficientBalance(Conflict):
    default_message = "Your prepaid ad balance does not cover this budget: top it up first."
    default_code = "insufficient_balance"


def advertiser_account(user, kind: str, currency: str) -> Account:
    return ledger.account_get_or_create(kind=kind, currency=currency, owner=user)


# --- top-ups --------------------------------------------------------------------------------------


def top_up_create(*, advertiser, amount_minor) -> AdTopUp:
    """A pending top-up of the advertiser's prepaid balance and its PaymentIntent; the advertiser
    pays with the intent's ``client_secret`` and the ``payment_intent.succeeded`` webhook credits it."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput("The amount is an integer count of the currency's minor unit.", field="amount")
    currency = settings.MONETIZATION_CURRENCY
    low, high = Money(settings.ADS_TOP_UP_MIN_MINOR, currency), Money(settings.ADS_TOP_UP_MAX_MINOR, currency)
    if not low.amount_minor <= amount_minor <= high.amount_minor:
        raise InvalidInput(f"A top-up is between {low} and {high}.", field="amount", code="top_up_amount")
    top_up = AdTopUp.objects.create(advertiser=advertiser, amount_minor=amount_minor, currency=low.currency)
    intent = gateway.payment_intent_create(
        amount_minor=amount_minor,
        currency=top_up.currency,
        metadata={TOP_UP_METADATA: top_up.pk, "advertiser": advertiser.pk},
        idempotency_key=f"ad-top-up-intent-{top_up.pk}",
    )
    AdTopUp.objects.filter(pk=top_up.pk).update(payment_intent_id=intent["id"], client_secret=intent["client_secret"])
    top_up.payment_intent_id, top_up.client_secret = intent["id"], intent["client_secret"]
    return top_up


def is_top_up(intent: dict) -> bool:
    """Whether a PaymentIntent is an advertiser's top-up (the metadata we set on it)."""
    return bool((intent.get("metadata") or {}).get(TOP_UP_METADATA))


def _top_up_for_intent(intent: dict) -> AdTopUp | None:
    top_up_id = str((intent.get("metadata") or {}).get(TOP_UP_METADATA, ""))
    query = Q(payment_intent_id=intent.get("id"))
    if top_up_id.isdigit():
        query |= Q(pk=int(top_up_id))
    return AdTopUp.objects.select_for_update().filter(query).first()


def stripe_top_up_succeeded(intent: dict) -> None:
    """The webhook: a top-up was paid. Credits the prepaid balance once (the top-up row is locked,
    its status moves once, and the posting is keyed by the top-up)."""
    with transaction.atomic():
        top_up = _top_up_for_intent(intent)
        if top_up is None or top_up.status == AdTopUp.Status.PAID:
            return
        if int(intent.get("amount") or 0) != top_up.amount_minor or str(intent.get("currency", "")).upper() != (
            top_up.currency
        ):
            # Never credit what was not paid: left as it is for finance staff to look at.
            logger.error("PaymentIntent %s does not match ad top-up %s: not credited", intent.get("id"), top_up.pk)
            return
        money = top_up.amount
        ledger.ledger_post(
            source=Source.AD_TOP_UP,
            idempotency_key=f"ad-top-up:{top_up.pk}",
            memo=f"Ad top-up {top_up.pk}",
            lines=[
                (ledger.platform_account(AccountKind.STRIPE_CLEARING, money.currency), -money),
                (advertiser_account(top_up.advertiser, AccountKind.ADVERTISER_PREPAID, money.currency), money),
            ],
        )
        top_up.status, top_up.paid_at = AdTopUp.Status.PAID, timezone.now()
        top_up.payment_intent_id = top_up.payment_intent_id or intent.get("id")
        top_up.save(update_fields=["status", "paid_at", "payment_intent_id"])


def stripe_top_up_failed(intent: dict) -> None:
    with transaction.atomic():
        top_up = _top_up_for_intent(intent)
        if top_up is not None and top_up.status == AdTopUp.Status.PENDING:
            top_up.status = AdTopUp.Status.FAILED
            top_up.save(update_fields=["status"])


# --- refunds of unused balance --------------------------------------------------------------------


def balance_refund(*, advertiser, amount_minor=None) -> AdRefund:
    """Give ``amount_minor`` (default: all that is refundable) of the advertiser's unused prepaid
    balance back to the cards it came from: Stripe refunds of their paid top-ups, newest first, none
    above what remains of its top-up; posted out of ``advertiser_prepaid`` (source ``refund``, keyed
    ``ad-refund:<refund>``).

    Locks the advertiser's prepaid account row (as reservations do), then their refundable top-ups,
    while the balance is read, Stripe is asked and the refund posted: concurrent refunds and budget
    reservations are served one after the other and together never take more than the balance.
    A top-up whose refund Stripe refuses (an old or disputed charge) is skipped for the next older
    one, so the refund may come out smaller than asked; if Stripe refunds nothing, its error is
    raised and nothing is recorded. Raises ``InsufficientBalance`` (409) above what is refundable."""
    if amount_minor is not None and (isinstance(amount_minor, bool) or not isinstance(amount_minor, int)):
        raise InvalidInput("The amount is an integer count of the currency's minor unit.", field="amount")
    if amount_minor is not None and amount_minor <= 0:
        raise InvalidInput("A refund is a positive amount.", field="amount")
    currency = Money.zero(settings.MONETIZATION_CURRENCY).currency
    prepaid = advertiser_account(advertiser, AccountKind.ADVERTISER_PREPAID, currency)
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=prepaid.pk)
        top_ups = list(ads_selectors.top_ups_refundable(advertiser=advertiser, currency=currency).select_for_update())
        refundable = ads_selectors.advertiser_refundable(advertiser=advertiser, currency=currency)
        amount = refundable.amount_minor if amount_minor is None else amount_minor
        if amount <= 0 or amount > refundable.amount_minor:
            raise InsufficientBalance(
                f"{refundable} of your prepaid ad balance can be refunded now: what your running campaigns' "
                "budgets hold is not refundable until they end."
            )
        refund = AdRefund.objects.create(
            advertiser=advertiser, requested_minor=amount, amount_minor=amount, currency=currency
        )
        refunded, refused = _refund_top_ups(refund, top_ups, amount)
        if refunded == 0:
            raise refused  # nothing was refunded: roll everything back, the caller hears Stripe's reason
        if refunded != amount:
            AdRefund.objects.filter(pk=refund.pk).update(amount_minor=refunded)
            refund.amount_minor = refunded
        money = refund.amount
        ledger.ledger_post(
            source=Source.REFUND,
            idempotency_key=f"ad-refund:{refund.pk}",
            memo=f"Ad balance refund {refund.pk}",
            lines=[(prepaid, -money), (ledger.platform_account(AccountKind.STRIPE_CLEARING, currency), money)],
        )
    return refund


def _refund_top_ups(refund: AdRefund, top_ups: list[AdTopUp], amount: int) -> tuple[int, DomainError]:
    """Refund ``amount`` from the (locked) top-ups in order; ``(refunded, the last refusal)``."""
    left, refused = amount, Conflict("Nothing could be refunded.", code="refund_refused")
    for top_up in top_ups:
        if left == 0:
            break
        take = min(left, top_up.refundable_minor)
        part = AdRefundPart.objects.create(refund=refund, top_up=top_up, amount_minor=take)
        try:
            stripe_refund = gateway.refund_create(
                payment_intent_id=top_up.payment_intent_id,
                amount_minor=take,
                metadata={"socialflow_ad_refund": refund.pk, "socialflow_ad_top_up": top_up.pk},
                idempotency_key=f"ad-refund-{refund.pk}-{top_up.pk}",
            )
        except (gateway.PaymentRefused, gateway.PaymentProviderError) as exc:
            logger.warning("Stripe refused refund %s of top-up %s: %s", refund.pk, top_up.pk, exc)
            part.status, part.failure_message, refused = AdRefundPart.Status.REFUSED, exc.message[:500], exc
            part.save(update_fields=["status", "failure_message"])
            continue
        part.stripe_refund_id = stripe_refund["id"]
        part.save(update_fields=["stripe_refund_id"])
        AdTopUp.objects.filter(pk=top_up.pk).update(refunded_minor=F("refunded_minor") + take)
        left -= take
    return amount - left, refused


def is_top_up_charge(charge: dict) -> bool:
    """Whether a charge paid an advertiser's top-up (its PaymentIntent is one of ours)."""
    intent_id = charge.get("payment_intent")
    return bool(intent_id) and AdTopUp.objects.filter(payment_intent_id=intent_id).exists()


def stripe_top_up_charge_refunded(charge: dict, *, event_id: str = "") -> None:
    """The ``charge.refunded`` webhook for a top-up's charge: the charge's refunded total. Our own
    refunds are recorded already (the top-up's ``refunded_minor`` moved with them), so this posts
    only what was refunded outside the app (Stripe's dashboard, or one of ours whose transaction
    never committed): out of the prepaid balance (it may go below zero: then no budget can be
    reserved until a top-up), as an ``AdRefund`` of origin ``stripe``, keyed by the running total."""
    top_up = AdTopUp.objects.filter(payment_intent_id=charge.get("payment_intent")).first()
    if top_up is None:
        return
    prepaid = advertiser_account(top_up.advertiser, AccountKind.ADVERTISER_PREPAID, top_up.currency)
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=prepaid.pk)  # the lock order of balance_refund
        top_up = AdTopUp.objects.select_for_update().get(pk=top_up.pk)
        total = min(int(charge.get("amount_refunded") or 0), top_up.amount_minor)
        new = total - top_up.refunded_minor
        if top_up.status != AdTopUp.Status.PAID or new <= 0:
            return
        refund = AdRefund.objects.create(
            advertiser=top_up.advertiser,
            requested_minor=new,
            amount_minor=new,
            currency=top_up.currency,
            origin=AdRefund.Origin.STRIPE,
        )
        AdRefundPart.objects.create(refund=refund, top_up=top_up, amount_minor=new)
        money = refund.amount
        ledger.ledger_post(
            source=Source.REFUND,
            idempotency_key=f"ad-top-up-refund:{top_up.pk}:{total}",
            memo=f"Top-up {top_up.pk} refunded on Stripe ({event_id or 'webhook'})",
            lines=[(prepaid, -money), (ledger.platform_account(AccountKind.STRIPE_CLEARING, money.currency), money)],
        )
        top_up.refunded_minor = total
        top_up.save(update_fields=["refunded_minor"])


# --- reservations ---------------------------------------------------------------------------------


def campaign_closed(campaign: Campaign, now: datetime) -> bool:
    """Rejected, or ended longer ago than a served ad's events are accepted: it spends no more."""
    ended = campaign.ends_at + timedelta(seconds=settings.ADS_DECISION_TTL_S) <= now
    return campaign.status == Campaign.Status.REJECTED or ended


def funding_target(campaign: Campaign, now: datetime) -> int:
    """What the campaign should hold in reserve (minor units, billed spend included): its budget
    while open; once closed, only the spend not released (never more than it held)."""
    if not campaign_closed(campaign, now):
        return campaign.budget_minor
    return min(campaign.funded_minor, campaign.spent_micros // MICROS)


def campaign_fund(*, campaign: Campaign, now: datetime | None = None) -> int:
    """Move the difference between what the campaign holds and ``funding_target`` between the
    advertiser's prepaid and reserved accounts; returns the amount reserved (negative: released).

    The caller holds the campaign's row lock inside a transaction (``select_for_update``) and has
    saved its new budget, schedule or status; this locks the advertiser's prepaid account. Raises
    ``InsufficientBalance`` when the prepaid balance does not cover a reservation (the caller's
    transaction then rolls back, the campaign's change with it)."""
    delta = funding_target(campaign, now or timezone.now()) - campaign.funded_minor
    if delta == 0:
        return 0
    currency = campaign.currency
    prepaid = advertiser_account(campaign.advertiser, AccountKind.ADVERTISER_PREPAID, currency)
    reserved = advertiser_account(campaign.advertiser, AccountKind.ADVERTISER_RESERVED, currency)
    Account.objects.select_for_update().get(pk=prepaid.pk)
    if delta > 0:
        available = ads_selectors.advertiser_balance(advertiser=campaign.advertiser, currency=currency).available
        if available.amount_minor < delta:
            raise InsufficientBalance(
                f"This budget needs {Money(delta, currency)} more than is reserved already, and your prepaid "
                f"ad balance is {available}: top it up first."
            )
    version = campaign.funding_version + 1
    ledger.ledger_post(
        source=Source.AD_BUDGET,
        idempotency_key=f"ad-budget:{campaign.pk}:{version}",
        memo=f"Campaign {campaign.pk}: budget {'reserved' if delta > 0 else 'released'}",
        lines=[(prepaid, Money(-delta, currency)), (reserved, Money(delta, currency))],
    )
    Campaign.objects.filter(pk=campaign.pk).update(funded_minor=F("funded_minor") + delta, funding_version=version)
    campaign.funded_minor += delta
    campaign.funding_version = version
    return delta


# --- spend ----------------------------------------------------------------------------------------


def campaign_bill(*, campaign_id: int, now: datetime | None = None) -> bool:
    """Post the campaign's spend not billed yet (whole minor units; never more than it holds) from
    the advertiser's reserve to the platform's revenue, then release what a closed campaign no
    longer needs. Re-running posts nothing new. Returns whether anything was posted."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("advertiser").get(pk=campaign_id)
        billed = min(campaign.spent_micros // MICROS, campaign.funded_minor)
        delta = billed - campaign.billed_minor
        if delta > 0:
            money = Money(delta, campaign.currency)
            ledger.ledger_post(
                source=Source.AD_SPEND,
                # The running total billed: a repeated run computes the same key.
                idempotency_key=f"ad-spend:{campaign.pk}:{billed}",
                memo=f"Campaign {campaign.pk}: spend",
                lines=[
                    (advertiser_account(campaign.advertiser, AccountKind.ADVERTISER_RESERVED, money.currency), -money),
                    (ledger.platform_account(AccountKind.PLATFORM_REVENUE, money.currency), money),
                ],
            )
            Campaign.objects.filter(pk=campaign.pk).update(billed_minor=billed)
            campaign.billed_minor = billed
        released = campaign_fund(campaign=campaign, now=now) if campaign_closed(campaign, now) else 0
        if released < 0 and campaign.status != Campaign.Status.REJECTED:
            # Its schedule ended with budget left (releasing the rest happens once per end; a spent
            # budget was told when it ran out, a rejection when it was rejected).
            campaign_ended_record(campaign=campaign, reason="schedule_ended", spent_minor=campaign.billed_minor)
    return delta > 0 or released != 0


def campaign_ended_record(*, campaign: Campaign, reason: str, spent_minor: int) -> None:
    """Record ``ad_campaign.ended`` (the advertiser is told): ``budget_spent`` or ``schedule_ended``."""
    events.record(
        "ad_campaign.ended",
        campaign_id=campaign.pk,
        advertiser_id=campaign.advertiser_id,
        campaign_name=campaign.name,
        reason=reason,
        spent_minor=spent_minor,
        budget_minor=campaign.budget_minor,
        currency=campaign.currency,
    )


def campaigns_bill(*, now: datetime | None = None) -> int:
    """The periodic job: every campaign with a whole unit of spend not billed yet, or closed and
    still holding more than its spend. Returns how many campaigns had something posted."""
    now = now or timezone.now()
    ids = ads_selectors.campaigns_to_bill(ended_before=now - timedelta(seconds=settings.ADS_DECISION_TTL_S))
    return sum(campaign_bill(campaign_id=campaign_id, now=now) for campaign_id in ids)

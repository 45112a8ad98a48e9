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
  (``ad-spend:<campaign>:<billed>``); the part below a unit waits for the next run.

Locks: the campaign row, then the advertiser's prepaid account row (``select_for_update``) while
its balance is read and a reservation posted, so concurrent reservations of one advertiser are
served one after the other and together never take more than the balance.
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
from monetization.ads.models import MICROS, AdTopUp, Campaign
from monetization.models import Account, AccountKind, Source
from socialflow.core.exceptions import Conflict, InvalidInput
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
    return delta > 0 or released != 0


def campaigns_bill(*, now: datetime | None = None) -> int:
    """The periodic job: every campaign with a whole unit of spend not billed yet, or closed and
    still holding more than its spend. Returns how many campaigns had something posted."""
    now = now or timezone.now()
    ids = ads_selectors.campaigns_to_bill(ended_before=now - timedelta(seconds=settings.ADS_DECISION_TTL_S))
    return sum(campaign_bill(campaign_id=campaign_id, now=now) for campaign_id in ids)

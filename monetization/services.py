"""Ledger writes: posting balanced transactions, splitting gross amounts, releasing held earnings.

Every change to money goes through ``ledger_post``: it refuses a posting whose entries don't add up
to zero per currency, and one idempotency key is one transaction forever (a webhook or a task run
twice posts once).
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from accounts import selectors as accounts_selectors
from live import selectors as live_selectors
from live.services import chat as live_chat
from monetization import gateway, selectors
from monetization.ads import billing as ads_billing
from monetization.models import (
    OWNED_KINDS,
    Account,
    AccountKind,
    BalanceCheckpoint,
    ConnectAccount,
    Dispute,
    Entry,
    Membership,
    MembershipPayment,
    MembershipTier,
    Payout,
    RevenueShare,
    Source,
    Tip,
    TipRefund,
    Transaction,
)
from socialflow.core import access, events, revenue
from socialflow.core.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from socialflow.core.money import CurrencyMismatch, Money
from videos import selectors as videos_selectors

BPS = 10_000
logger = logging.getLogger(__name__)


class UnbalancedTransaction(InvalidInput):
    default_message = "A ledger transaction's entries must add up to zero in each currency."
    default_code = "ledger_unbalanced"


class IdempotencyKeyReused(Conflict):
    default_message = "This idempotency key was already posted with different entries."
    default_code = "idempotency_key_reused"


# --- accounts -------------------------------------------------------------------------------------


def account_get_or_create(*, kind: str, currency: str, owner=None) -> Account:
    """The one account of this kind and currency (a creator's when ``owner`` is given)."""
    if kind not in AccountKind.values:
        raise InvalidInput(f"Unknown account kind {kind!r}.", code="invalid_account_kind")
    if (kind in OWNED_KINDS) != (owner is not None):
        raise InvalidInput(
            "Creator and advertiser accounts have an owner, platform accounts none.", code="invalid_account_kind"
        )
    currency = Money.zero(currency).currency  # refuses unknown codes, upper-cases
    try:
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(owner=owner, kind=kind, currency=currency)
    except IntegrityError:  # created concurrently: the unique constraints keep one
        account = Account.objects.get(owner=owner, kind=kind, currency=currency)
    return account


def accounts_get_or_create(specs: list[tuple[object, str, str]]) -> list[Account]:
    """The accounts ``(owner or None, kind, currency)``, in order: one query when they all exist
    (the usual case on a hot path), each missing one made as ``account_get_or_create`` does."""
    wanted = [(getattr(owner, "pk", None), kind, Money.zero(currency).currency) for owner, kind, currency in specs]
    query = Q()
    for owner_id, kind, currency in wanted:
        query |= Q(owner_id=owner_id, kind=kind, currency=currency)
    found = {(a.owner_id, a.kind, a.currency): a for a in Account.objects.filter(query)}
    out = []
    for (owner, kind, currency), key in zip(specs, wanted, strict=True):
        account = found.get(key)
        if account is None:
            account = found[key] = account_get_or_create(kind=kind, currency=currency, owner=owner)
        out.append(account)
    return out


def creator_account(user, kind: str, currency: str) -> Account:
    return account_get_or_create(kind=kind, currency=currency, owner=user)


def platform_account(kind: str, currency: str) -> Account:
    return account_get_or_create(kind=kind, currency=currency)


# --- posting --------------------------------------------------------------------------------------


def _normalise(lines: Iterable[tuple[Account, Money]]) -> list[tuple[Account, Money]]:
    out = []
    for account, money in lines:
        if not isinstance(account, Account) or account.pk is None:
            raise InvalidInput("A ledger line names a saved account.", code="invalid_ledger_line")
        if not isinstance(money, Money):
            raise InvalidInput("A ledger line's amount is Money.", code="invalid_ledger_line")
        if money.currency != account.currency:
            raise CurrencyMismatch(f"Account {account.pk} holds {account.currency}, not {money.currency}.")
        if money.amount_minor:  # a zero line moves nothing (a 0 % fee): leave it out
            out.append((account, money))
    if len(out) < 2:
        raise UnbalancedTransaction("A ledger transaction needs at least two non-zero entries.")
    totals: dict[str, int] = defaultdict(int)
    for _, money in out:
        totals[money.currency] += money.amount_minor
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise UnbalancedTransaction(f"The entries do not add up to zero: {unbalanced}.")
    return out


def _fingerprint(source: str, lines) -> tuple[str, Counter]:
    return source, Counter((account_id, currency, amount) for account_id, currency, amount in lines)


def _same_posting(existing: Transaction, source: str, lines: list[tuple[Account, Money]]) -> Transaction:
    stored = existing.entries.values_list("account_id", "currency", "amount_minor")
    asked = [(account.pk, money.currency, money.amount_minor) for account, money in lines]
    if _fingerprint(existing.source, stored) != _fingerprint(source, asked):
        raise IdempotencyKeyReused(f"Idempotency key {existing.idempotency_key!r} was posted with other entries.")
    return existing


def ledger_post(
    *, source: str, idempotency_key: str, lines: Iterable[tuple[Account, Money]], memo: str = ""
) -> Transaction:
    """Post one balanced transaction, atomically; the same key again returns the first one (and
    raises ``IdempotencyKeyReused`` if the source or entries differ)."""
    if source not in Source.values:
        raise InvalidInput(f"Unknown ledger source {source!r}.", code="invalid_ledger_source")
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidInput("An idempotency key of 1–200 characters is required.", code="invalid_idempotency_key")
    lines = _normalise(lines)
    existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_posting(existing, source, lines)
    now = timezone.now()
    try:
        with transaction.atomic():
            posted = Transaction.objects.create(
                source=source, idempotency_key=idempotency_key, memo=memo[:500], created_at=now
            )
            Entry.objects.bulk_create(
                Entry(
                    transaction=posted,
                    account=account,
                    amount_minor=money.amount_minor,
                    currency=money.currency,
                    created_at=now,
                )
                for account, money in lines
            )
    except IntegrityError:
        # The same key posted concurrently and committed first: that one stands.
        existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_posting(existing, source, lines)
    return posted


def ledger_reverse(
    *, original: Transaction, idempotency_key: str, source: str | None = None, memo: str = ""
) -> Transaction:
    """The correction of a posted transaction: the same entries with the opposite signs."""
    lines = [(entry.account, -entry.money) for entry in original.entries.select_related("account")]
    return ledger_post(
        source=source or original.source,
        idempotency_key=idempotency_key,
        lines=lines,
        memo=memo or f"Reverses transaction {original.pk}",
    )


# --- splitting ------------------------------------------------------------------------------------


def fee_split(gross: Money, *, fee_bps: int | None = None) -> tuple[Money, Money]:
    """``(creator share, platform fee)`` of ``gross`` at ``fee_bps`` basis points (default
    ``MONETIZATION_PLATFORM_FEE_BPS``); largest remainder, so the two add up to ``gross`` exactly."""
    bps = settings.MONETIZATION_PLATFORM_FEE_BPS if fee_bps is None else fee_bps
    if isinstance(bps, bool) or not isinstance(bps, int) or not 0 <= bps <= BPS:
        raise InvalidInput("A fee is 0 to 10000 basis points.", code="invalid_fee")
    share, fee = gross.split([BPS - bps, bps])
    return share, fee


def ledger_post_earning(
    *,
    creator,
    gross: Money,
    source: str,
    idempotency_key: str,
    memo: str = "",
    fee_bps: int | None = None,
    funded_by: str = AccountKind.STRIPE_CLEARING,
) -> Transaction:
    """A creator earned ``gross`` (a tip, a membership payment, ad revenue): the share goes to
    their pending account, the platform's fee to ``platform_fees``, the whole comes out of
    ``funded_by`` (money Stripe collected, or the platform's ad revenue)."""
    if gross.amount_minor <= 0:
        raise InvalidInput("An earning is a positive amount.", code="invalid_amount")
    share, fee = fee_split(gross, fee_bps=fee_bps)
    funding, pending, fees = accounts_get_or_create(
        [
            (None, funded_by, gross.currency),
            (creator, AccountKind.CREATOR_PENDING, gross.currency),
            (None, AccountKind.PLATFORM_FEES, gross.currency),
        ]
    )
    return ledger_post(
        source=source,
        idempotency_key=idempotency_key,
        memo=memo,
        lines=[(funding, -gross), (pending, share), (fees, fee)],
    )


# --- hold period ----------------------------------------------------------------------------------


def _due_q(cutoff: datetime) -> Q:
    # Pending entries past the hold, plus the releases already made (negative on pending): their
    # sum is what has matured and not been released yet.
    return Q(created_at__lte=cutoff) | Q(transaction__source=Source.HOLD_RELEASE)


def ledger_release_matured(*, now: datetime | None = None) -> int:
    """Move every creator's pending earnings older than ``MONETIZATION_HOLD_DAYS`` to available,
    one ``hold_release`` transaction per account; re-running posts nothing new. Returns how many
    transactions were posted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.MONETIZATION_HOLD_DAYS)
    due = (
        Entry.objects.filter(account__kind=AccountKind.CREATOR_PENDING)
        .filter(_due_q(cutoff))
        .values("account_id")
        .annotate(due=Sum("amount_minor"))
        .filter(due__gt=0)
        .order_by("account_id")
    )
    posted = 0
    for row in list(due):
        posted += _release_account(row["account_id"], cutoff)
    return posted


def _release_account(account_id: int, cutoff: datetime) -> int:
    with transaction.atomic():
        # The lock serialises two runs on one account, so neither releases what the other did.
        pending = Account.objects.select_for_update().get(pk=account_id)
        sums = Entry.objects.filter(account=pending).aggregate(
            due=Sum("amount_minor", filter=_due_q(cutoff)),
            released=Sum("amount_minor", filter=Q(transaction__source=Source.HOLD_RELEASE)),
        )
        due = sums["due"] or 0
        if due <= 0:
            return 0
        released_after = -(sums["released"] or 0) + due
        available = creator_account(pending.owner, AccountKind.CREATOR_AVAILABLE, pending.currency)
        ledger_post(
            source=Source.HOLD_RELEASE,
            # The running total released from this account: a repeated run computes the same key.
            idempotency_key=f"hold-release:{pending.pk}:{released_after}",
            lines=[(pending, Money(-due, pending.currency)), (available, Money(due, pending.currency))],
            memo=f"Earnings up to {cutoff:%Y-%m-%d %H:%M} UTC are available",
        )
    return 1


# --- tips (super chat) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TipFees:
    """What a payment of ``amount`` costs and leaves the creator (all in minor units)."""

    amount: Money
    processing: Money
    platform: Money
    net: Money


def tip_fees(amount: Money) -> TipFees:
    """The card processor's rate plus its fixed fee (half-up to the minor unit), and the platform's
    share of the whole amount (``MONETIZATION_PLATFORM_FEE_BPS``); the creator keeps the rest."""
    rate = amount.amount_minor * settings.MONETIZATION_PROCESSING_FEE_BPS
    processing = (rate + BPS // 2) // BPS + settings.MONETIZATION_PROCESSING_FEE_FIXED_MINOR
    _, platform = fee_split(amount)
    net = amount.amount_minor - processing - platform.amount_minor
    return TipFees(amount, Money(processing, amount.currency), platform, Money(net, amount.currency))


def _tip_amount(amount_minor, currency: str | None) -> Money:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput("The amount is an integer count of the currency's minor unit.", field="amount")
    money = Money(amount_minor, currency or settings.MONETIZATION_CURRENCY)
    if money.currency != settings.MONETIZATION_CURRENCY:
        raise InvalidInput(f"Tips are paid in {settings.MONETIZATION_CURRENCY}.", field="currency", code="currency")
    low = Money(settings.MONETIZATION_TIP_MIN_MINOR, money.currency)
    high = Money(settings.MONETIZATION_TIP_MAX_MINOR, money.currency)
    if not low.amount_minor <= money.amount_minor <= high.amount_minor:
        raise InvalidInput(f"A tip is between {low} and {high}.", field="amount", code="tip_amount")
    if tip_fees(money).net.amount_minor <= 0:
        raise InvalidInput("This tip would not cover its fees.", field="amount", code="tip_amount")
    return money


def tip_create(*, fan, to_username: str, amount_minor, currency: str | None = None, stream_id=None, message="") -> Tip:
    """A pending tip and its PaymentIntent; the fan pays with the intent's ``client_secret`` (Stripe.js,
    or the local server's), and the ``payment_intent.succeeded`` webhook completes it."""
    creator = accounts_selectors.user_get_by_username(username=to_username)
    if creator.pk == fan.pk:
        raise InvalidInput("You cannot tip yourself.", field="to", code="tip_self")
    money = _tip_amount(amount_minor, currency)
    message = (message or "").strip()
    if len(message) > 200 or "\x00" in message:
        raise InvalidInput("A tip message is at most 200 characters.", field="message")
    stream = None
    if stream_id is not None:
        stream = live_selectors.stream_get(stream_id=stream_id, viewer=fan)
        if stream.owner_id != creator.pk:
            raise InvalidInput("That stream is not this creator's.", field="stream_id", code="tip_stream")
        if stream.status == "ended":
            raise InvalidInput("That stream has ended.", field="stream_id", code="stream_ended")
    if not access.can_view(fan, creator):
        raise NotFound("No such user.")
    fees = tip_fees(money)
    tip = Tip.objects.create(
        fan=fan,
        creator=creator,
        stream=stream,
        message=message,
        amount_minor=money.amount_minor,
        currency=money.currency,
        processing_fee_minor=fees.processing.amount_minor,
        platform_fee_minor=fees.platform.amount_minor,
    )
    intent = gateway.payment_intent_create(
        amount_minor=money.amount_minor,
        currency=money.currency,
        metadata={"socialflow_tip": tip.pk, "creator": creator.pk, "fan": fan.pk},
        idempotency_key=f"tip-intent-{tip.pk}",
    )
    Tip.objects.filter(pk=tip.pk).update(payment_intent_id=intent["id"], client_secret=intent["client_secret"])
    tip.payment_intent_id, tip.client_secret = intent["id"], intent["client_secret"]
    return tip


def _tip_for_intent(intent: dict) -> Tip | None:
    tip_id = (intent.get("metadata") or {}).get("socialflow_tip")
    query = Q(payment_intent_id=intent.get("id"))
    if tip_id and str(tip_id).isdigit():
        query |= Q(pk=int(tip_id))
    return Tip.objects.select_for_update().filter(query).first()


def stripe_payment_intent_succeeded(intent: dict, *, event_id: str = "") -> None:
    """The webhook: a tip was paid. Credits the ledger once (keyed by the tip), records
    ``tip.received`` and shows the tip highlighted in the stream's chat. An advertiser's top-up is
    the ads package's."""
    if ads_billing.is_top_up(intent):
        ads_billing.stripe_top_up_succeeded(intent)
        return
    with transaction.atomic():
        tip = _tip_for_intent(intent)
        if tip is None or tip.status != Tip.Status.PENDING:
            return  # not a tip of ours, or already handled
        if (
            int(intent.get("amount") or 0) != tip.amount_minor
            or str(intent.get("currency", "")).upper() != tip.currency
        ):
            # Never credit what was not paid: leave the tip pending for finance staff to look at.
            logger.error("PaymentIntent %s does not match tip %s: not credited", intent.get("id"), tip.pk)
            return
        _tip_post_paid(tip)
        tip.status, tip.paid_at = Tip.Status.PAID, timezone.now()
        tip.payment_intent_id = tip.payment_intent_id or intent.get("id")
        if tip.stream_id is not None:
            tip.chat_message_id = live_chat.chat_highlight_send(
                stream_id=tip.stream_id,
                user=tip.fan,
                text=tip.message or f"Sent a tip of {tip.amount}",
                highlight={"kind": "tip", "amount": {"amount": tip.amount_minor, "currency": tip.currency.lower()}},
            )
        tip.save(update_fields=["status", "paid_at", "payment_intent_id", "chat_message_id"])
        events.record(
            "tip.received",
            tip_id=tip.pk,
            creator_id=tip.creator_id,
            fan_id=tip.fan_id,
            amount_minor=tip.amount_minor,
            currency=tip.currency,
            stream_id=tip.stream_id,
        )


def _tip_post_paid(tip: Tip) -> Transaction:
    currency = tip.currency
    return ledger_post(
        source=Source.TIP,
        idempotency_key=f"tip:{tip.pk}",
        memo=f"Tip {tip.pk}",
        lines=[
            (
                platform_account(AccountKind.STRIPE_CLEARING, currency),
                Money(-(tip.amount_minor - tip.processing_fee_minor), currency),
            ),
            (creator_account(tip.creator, AccountKind.CREATOR_PENDING, currency), Money(tip.net_minor, currency)),
            (platform_account(AccountKind.PLATFORM_FEES, currency), Money(tip.platform_fee_minor, currency)),
        ],
    )


def stripe_payment_intent_failed(intent: dict, *, event_id: str = "") -> None:
    if ads_billing.is_top_up(intent):
        ads_billing.stripe_top_up_failed(intent)
        return
    with transaction.atomic():
        tip = _tip_for_intent(intent)
        if tip is not None and tip.status == Tip.Status.PENDING:
            tip.status = Tip.Status.FAILED
            tip.save(update_fields=["status"])


def _refund_shares(payment: Tip | MembershipPayment, refunded_minor: int) -> tuple[int, int]:
    """How much of ``refunded_minor`` (a running total) comes back from the creator and from the
    platform's fee: in proportion to what each took of the whole amount (a tip's processing fee is
    not returned by the processor, so the creator's part carries it), largest remainder, so the
    parts of a running total never drift from those of its steps."""
    if refunded_minor == 0:
        return 0, 0
    creator_part, platform_part = Money(refunded_minor, payment.currency).split(
        [payment.amount_minor - payment.platform_fee_minor, payment.platform_fee_minor]
    )
    return creator_part.amount_minor, platform_part.amount_minor


def _take_back_lines(payment: Tip | MembershipPayment, before_minor: int, after_minor: int, *, fee_minor: int = 0):
    """Ledger lines taking back what a payment's running total taken back (refunds, disputes) adds
    from ``before`` to ``after``: out of Stripe clearing, from the creator and the platform's fee in
    their shares; ``fee_minor`` (a dispute fee) also leaves clearing, from the platform alone."""
    creator_before, platform_before = _refund_shares(payment, before_minor)
    creator_after, platform_after = _refund_shares(payment, after_minor)
    currency = payment.currency
    return [
        (
            platform_account(AccountKind.STRIPE_CLEARING, currency),
            Money(after_minor - before_minor + fee_minor, currency),
        ),
        (
            creator_account(payment.creator, AccountKind.CREATOR_PENDING, currency),
            Money(-(creator_after - creator_before), currency),
        ),
        (
            platform_account(AccountKind.PLATFORM_FEES, currency),
            Money(-(platform_after - platform_before) - fee_minor, currency),
        ),
    ]


def _key_prefix(payment: Tip | MembershipPayment) -> str:
    return "tip" if isinstance(payment, Tip) else "membership"


def _apply_refunded(payment: Tip | MembershipPayment, refunded_total: int) -> bool:
    """Bring the (locked) payment and the ledger up to a refunded total; False if nothing was new.
    The posting is keyed by the running total, so the API, the task and the ``charge.refunded``
    webhook post each step once."""
    if refunded_total <= payment.refunded_minor:
        return False
    if refunded_total > payment.amount_minor:
        raise InvalidInput(f"{payment} cannot be refunded above its amount.", code="refund_too_large")
    prefix = _key_prefix(payment)
    ledger_post(
        source=Source.REFUND,
        idempotency_key=f"{prefix}-refund:{payment.pk}:{refunded_total}",
        memo=f"Refund of {payment}",
        lines=_take_back_lines(payment, payment.refunded_minor, refunded_total),
    )
    payment.refunded_minor = refunded_total
    payment.status = Tip.Status.REFUNDED if refunded_total == payment.amount_minor else Tip.Status.PARTIALLY_REFUNDED
    payment.save(update_fields=["refunded_minor", "status"])
    return True


def tip_refund(*, tip: Tip, amount_minor: int | None = None, by=None, reason: str = "") -> TipRefund:
    """Refund part or all of what remains of a paid tip (finance staff). Never above what remains,
    even when two refunds race: the tip row is locked while the refund is made."""
    if by is not None and not getattr(by, "is_staff", False):
        raise PermissionDenied("Only finance staff refund tips.")
    with transaction.atomic():
        tip = Tip.objects.select_for_update().get(pk=tip.pk)
        if tip.status not in REFUNDABLE_STATUSES:
            raise Conflict("Only a paid tip can be refunded.", code="tip_not_refundable")
        amount = tip.refundable_minor if amount_minor is None else amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidInput("A refund is a positive amount in minor units.", field="amount")
        if amount > tip.refundable_minor:
            remains = Money(tip.refundable_minor, tip.currency)
            raise InvalidInput(
                f"Only {remains} of this tip remains to refund.", field="amount", code="refund_too_large"
            )
        refund = TipRefund.objects.create(tip=tip, amount_minor=amount, by=by, reason=reason[:500])
        stripe_refund = gateway.refund_create(
            payment_intent_id=tip.payment_intent_id,
            amount_minor=amount,
            metadata={"socialflow_tip": tip.pk, "socialflow_refund": refund.pk},
            idempotency_key=f"tip-refund-{refund.pk}",
        )
        refund.stripe_refund_id = stripe_refund["id"]
        refund.save(update_fields=["stripe_refund_id"])
        _apply_refunded(tip, tip.refunded_minor + amount)
    return refund


REFUNDABLE_STATUSES = (Tip.Status.PAID, Tip.Status.PARTIALLY_REFUNDED)


def _paid_by_intent(intent_id: str) -> Tip | MembershipPayment | None:
    """The tip or membership payment a PaymentIntent paid, locked; None for anyone else's."""
    tip = Tip.objects.select_for_update().filter(payment_intent_id=intent_id).first()
    if tip is not None:
        return tip
    return MembershipPayment.objects.select_for_update().filter(payment_intent_id=intent_id).first()


def stripe_charge_refunded(charge: dict, *, event_id: str = "") -> None:
    """The webhook: a charge's refunded total. Catches refunds made outside the app (Stripe's
    dashboard); ours are already posted, and the running-total key makes a repeat post nothing. An
    advertiser's top-up is the ads package's (the same catch-up, out of the prepaid balance)."""
    intent_id = charge.get("payment_intent")
    if not intent_id:
        return
    if ads_billing.is_top_up_charge(charge):
        ads_billing.stripe_top_up_charge_refunded(charge, event_id=event_id)
        return
    with transaction.atomic():
        payment = _paid_by_intent(intent_id)
        if payment is None or payment.status not in REFUNDABLE_STATUSES:
            return
        refunded_total = int(charge.get("amount_refunded") or 0)
        before = payment.refunded_minor
        if _apply_refunded(payment, refunded_total) and isinstance(payment, Tip):
            TipRefund.objects.create(tip=payment, amount_minor=refunded_total - before, reason=f"Stripe {event_id}")


# --- disputes (chargebacks) -----------------------------------------------------------------------


def _dispute_key(dispute: Dispute) -> str:
    return f"{_key_prefix(dispute.payment)}-dispute:{dispute.stripe_dispute_id}"


def stripe_dispute_created(dispute: dict, *, event_id: str = "") -> None:
    """The webhook ``charge.dispute.created``: a payer's bank disputes the charge of a tip or of a
    membership payment. The payment can no longer be refunded, and the amount (in a refund's
    shares of what was not refunded yet) and the dispute fee (the platform's) leave the ledger
    once, keyed by the dispute. Disputes on other charges are not ours to post."""
    intent_id, dispute_id = dispute.get("payment_intent"), dispute.get("id")
    if not intent_id or not dispute_id:
        return
    with transaction.atomic():
        payment = _paid_by_intent(intent_id)
        if payment is None or Dispute.objects.filter(stripe_dispute_id=dispute_id).exists():
            return
        if payment.status not in REFUNDABLE_STATUSES:
            logger.error("Dispute %s on %s in status %s: not posted", dispute_id, payment, payment.status)
            return
        amount = min(int(dispute.get("amount") or 0), payment.refundable_minor)
        if amount <= 0 or str(dispute.get("currency", "")).upper() != payment.currency:
            logger.error("Dispute %s does not match %s: not posted", dispute_id, payment)
            return
        opened = Dispute.objects.create(
            tip=payment if isinstance(payment, Tip) else None,
            membership_payment=payment if isinstance(payment, MembershipPayment) else None,
            stripe_dispute_id=dispute_id,
            amount_minor=amount,
            fee_minor=settings.MONETIZATION_DISPUTE_FEE_MINOR,
            reason=str(dispute.get("reason") or "")[:100],
        )
        ledger_post(
            source=Source.CHARGEBACK,
            idempotency_key=_dispute_key(opened),
            memo=f"Dispute {dispute_id} on {payment}",
            lines=_take_back_lines(
                payment, payment.refunded_minor, payment.refunded_minor + amount, fee_minor=opened.fee_minor
            ),
        )
        payment.status = Tip.Status.DISPUTED
        payment.save(update_fields=["status"])


def stripe_dispute_closed(dispute: dict, *, event_id: str = "") -> None:
    """The webhook ``charge.dispute.closed``: won gives the amount and the fee back (the opening
    posting reversed, once); lost keeps them taken and the payment charged back."""
    status = dispute.get("status")
    with transaction.atomic():
        opened = (
            Dispute.objects.select_for_update()
            .filter(stripe_dispute_id=dispute.get("id"), status=Dispute.Status.OPEN)
            .first()
        )
        if opened is None or status not in ("won", "lost"):
            return
        model = Tip if opened.tip_id else MembershipPayment
        payment = model.objects.select_for_update().get(pk=opened.tip_id or opened.membership_payment_id)
        if status == "won":
            key = _dispute_key(opened)
            ledger_reverse(
                original=Transaction.objects.get(idempotency_key=key),
                idempotency_key=key.replace("-dispute:", "-dispute-won:"),
                memo=f"Dispute {opened.stripe_dispute_id} on {payment} won",
            )
            payment.status = Tip.Status.PARTIALLY_REFUNDED if payment.refunded_minor else Tip.Status.PAID
        else:
            payment.status = Tip.Status.CHARGED_BACK
        opened.status, opened.closed_at = status, timezone.now()
        opened.save(update_fields=["status", "closed_at"])
        payment.save(update_fields=["status"])


# --- Stripe Connect (Express) and payouts ---------------------------------------------------------


def connect_onboarding_link(*, user) -> str:
    """The creator's Express account (made once) and a fresh onboarding link to it."""
    connect = ConnectAccount.objects.filter(user=user).first()
    if connect is None:
        account = gateway.account_create(
            email=user.email,
            country=settings.MONETIZATION_CONNECT_COUNTRY,
            metadata={"socialflow_user": user.pk},
            idempotency_key=f"connect-account-{user.pk}",
        )
        connect, _ = ConnectAccount.objects.get_or_create(user=user, defaults={"stripe_account_id": account["id"]})
    studio = settings.SITE_URL + "/studio/monetization/"
    link = gateway.account_link_create(
        account_id=connect.stripe_account_id,
        refresh_url=studio + "?connect=refresh",
        return_url=studio + "?connect=done",
    )
    return link["url"]


def stripe_account_updated(account: dict, *, event_id: str = "") -> None:
    """The webhook: onboarding progressed (or Stripe disabled payouts)."""
    ConnectAccount.objects.filter(stripe_account_id=account.get("id")).update(
        details_submitted=bool(account.get("details_submitted")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        updated_at=timezone.now(),
    )


def payout_request(*, user, amount_minor, currency: str | None = None) -> Payout:
    """Pay ``amount`` of the creator's available balance to their Connect account.

    The creator's available account row is locked while the balance is read and the amount moved
    to ``payouts_in_transit``, so concurrent requests are served one after the other and together
    can never take more than the balance. The Stripe transfer is made after that commits; if
    Stripe refuses it, the amount goes back."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput("The amount is an integer count of the currency's minor unit.", field="amount")
    money = Money(amount_minor, currency or settings.MONETIZATION_CURRENCY)
    minimum = Money(settings.MONETIZATION_PAYOUT_MIN_MINOR, money.currency)
    if money.amount_minor < minimum.amount_minor:
        raise InvalidInput(f"The smallest payout is {minimum}.", field="amount", code="payout_too_small")
    connect = ConnectAccount.objects.filter(user=user).first()
    if connect is None or not connect.payouts_enabled:
        raise Conflict("Finish setting up payouts (Stripe Connect) first.", code="connect_not_ready")
    available = creator_account(user, AccountKind.CREATOR_AVAILABLE, money.currency)
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=available.pk)
        balance = selectors.account_balance(available).amount_minor
        if money.amount_minor > balance:
            raise InvalidInput(
                f"Only {Money(balance, money.currency)} is available to pay out.",
                field="amount",
                code="payout_too_large",
            )
        payout = Payout.objects.create(user=user, amount_minor=money.amount_minor, currency=money.currency)
        ledger_post(
            source=Source.PAYOUT,
            idempotency_key=f"payout:{payout.pk}",
            memo=f"Payout {payout.pk} requested",
            lines=[(available, -money), (platform_account(AccountKind.PAYOUTS_IN_TRANSIT, money.currency), money)],
        )
    try:
        transfer = gateway.transfer_create(
            amount_minor=money.amount_minor,
            currency=money.currency,
            destination=connect.stripe_account_id,
            metadata={"socialflow_payout": payout.pk},
            idempotency_key=f"payout-{payout.pk}",
        )
    except gateway.PaymentRefused as exc:
        payout_fail(payout=payout, message=exc.message)
        raise
    Payout.objects.filter(pk=payout.pk, stripe_transfer_id__isnull=True).update(
        stripe_transfer_id=transfer["id"], updated_at=timezone.now()
    )
    payout.stripe_transfer_id = transfer["id"]
    return payout


def payout_fail(*, payout: Payout, message: str = "") -> None:
    """Return a payout's amount to the creator's available balance (once)."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status == Payout.Status.FAILED:
            return
        money = payout.amount
        in_transit = platform_account(AccountKind.PAYOUTS_IN_TRANSIT, money.currency)
        if payout.status == Payout.Status.SENT:  # reversed after it left: it comes back from Stripe
            in_transit = platform_account(AccountKind.STRIPE_CLEARING, money.currency)
        ledger_post(
            source=Source.PAYOUT,
            idempotency_key=f"payout-failed:{payout.pk}",
            memo=f"Payout {payout.pk} failed",
            lines=[
                (in_transit, -money),
                (creator_account(payout.user, AccountKind.CREATOR_AVAILABLE, money.currency), money),
            ],
        )
        payout.status, payout.failure_message, payout.updated_at = Payout.Status.FAILED, message[:500], timezone.now()
        payout.save(update_fields=["status", "failure_message", "updated_at"])


def _payout_for_transfer(transfer: dict) -> Payout | None:
    payout_id = (transfer.get("metadata") or {}).get("socialflow_payout")
    query = Q(stripe_transfer_id=transfer.get("id"))
    if payout_id and str(payout_id).isdigit():
        query |= Q(pk=int(payout_id))
    return Payout.objects.select_for_update().filter(query).first()


def stripe_transfer_created(transfer: dict, *, event_id: str = "") -> None:
    """The webhook: the money is in the creator's Stripe account (Stripe pays their bank on its
    schedule). Moves it out of ``payouts_in_transit`` and tells the creator, once."""
    with transaction.atomic():
        payout = _payout_for_transfer(transfer)
        if payout is None or payout.status != Payout.Status.PENDING:
            return
        money = payout.amount
        ledger_post(
            source=Source.PAYOUT,
            idempotency_key=f"payout-sent:{payout.pk}",
            memo=f"Payout {payout.pk} sent",
            lines=[
                (platform_account(AccountKind.PAYOUTS_IN_TRANSIT, money.currency), -money),
                (platform_account(AccountKind.STRIPE_CLEARING, money.currency), money),
            ],
        )
        payout.status, payout.updated_at = Payout.Status.SENT, timezone.now()
        payout.stripe_transfer_id = payout.stripe_transfer_id or transfer.get("id")
        payout.save(update_fields=["status", "updated_at", "stripe_transfer_id"])
        events.record(
            "payout.sent",
            payout_id=payout.pk,
            user_id=payout.user_id,
            amount_minor=payout.amount_minor,
            currency=payout.currency,
        )


def stripe_transfer_reversed(transfer: dict, *, event_id: str = "") -> None:
    with transaction.atomic():
        payout = _payout_for_transfer(transfer)
        if payout is not None:
            payout_fail(payout=payout, message="The transfer was reversed.")


# --- memberships ----------------------------------------------------------------------------------


class MembershipProvider(access.MembershipProvider):
    """The access layer's membership check: an active or past-due membership (Stripe is still
    retrying the payment) makes a member; canceled does not."""

    def is_member(self, *, user_id: int, creator_id: int) -> bool:
        return Membership.objects.filter(
            user_id=user_id, creator_id=creator_id, status__in=Membership.MEMBER_STATUSES
        ).exists()

    def creator_ids(self, *, user_id: int):
        return Membership.objects.filter(user_id=user_id, status__in=Membership.MEMBER_STATUSES).values("creator_id")


def tier_create(*, creator, name: str, price_minor, perks: str = "") -> MembershipTier:
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise InvalidInput("A tier has a name of 1–100 characters.", field="name")
    if len(perks or "") > 2000 or "\x00" in (perks or ""):
        raise InvalidInput("Perks are at most 2000 characters.", field="perks")
    if isinstance(price_minor, bool) or not isinstance(price_minor, int):
        raise InvalidInput("The price is an integer count of the currency's minor unit.", field="price")
    price = Money(price_minor, settings.MONETIZATION_CURRENCY)
    low = Money(settings.MONETIZATION_TIER_MIN_MINOR, price.currency)
    high = Money(settings.MONETIZATION_TIER_MAX_MINOR, price.currency)
    if not low.amount_minor <= price.amount_minor <= high.amount_minor:
        raise InvalidInput(f"A monthly tier costs between {low} and {high}.", field="price")
    stripe_price = gateway.price_create(
        amount_minor=price.amount_minor,
        currency=price.currency,
        name=f"{creator.username}: {name}",
        interval="month",
        metadata={"socialflow_creator": creator.pk},
    )
    return MembershipTier.objects.create(
        creator=creator,
        name=name,
        perks=perks or "",
        price_minor=price.amount_minor,
        currency=price.currency,
        stripe_price_id=stripe_price["id"],
    )


def tier_update(*, creator, tier: MembershipTier, name: str, perks: str = "", active: bool = True) -> MembershipTier:
    """Rename a tier, change its perks, or retire it (``active=False``: offered to nobody new; its
    members keep their subscriptions). The price is its Stripe Price's and does not change."""
    if tier.creator_id != creator.pk:
        raise NotFound("No such tier.")
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise InvalidInput("A tier has a name of 1–100 characters.", field="name")
    if len(perks or "") > 2000 or "\x00" in (perks or ""):
        raise InvalidInput("Perks are at most 2000 characters.", field="perks")
    tier.name, tier.perks, tier.active = name, perks or "", bool(active)
    tier.save(update_fields=["name", "perks", "active"])
    return tier


def membership_checkout(*, user, creator_username: str, tier_id) -> str:
    """A Checkout Session for the tier (Stripe's hosted page, or the local server's): its URL."""
    creator = accounts_selectors.user_get_by_username(username=creator_username)
    if creator.pk == user.pk:
        raise InvalidInput("You cannot join your own channel.", field="tier_id", code="membership_self")
    tier = (
        MembershipTier.objects.filter(pk=tier_id, creator=creator, active=True).first()
        if str(tier_id).isdigit()
        else None
    )
    if tier is None:
        raise NotFound("No such tier.")
    if Membership.objects.filter(user=user, creator=creator, status__in=Membership.MEMBER_STATUSES).exists():
        raise Conflict("You are already a member of this channel.", code="already_member")
    studio = settings.SITE_URL + "/studio/"
    session = gateway.checkout_session_create(
        price_id=tier.stripe_price_id,
        success_url=studio + "?membership=done",
        cancel_url=studio + "?membership=canceled",
        customer_email=user.email,
        metadata={"socialflow_tier": tier.pk, "socialflow_user": user.pk},
        idempotency_key=f"membership-checkout-{user.pk}-{tier.pk}-{timezone.now():%Y%m%d%H%M}",
    )
    return session["url"]


_SUBSCRIPTION_STATUS = {
    "active": Membership.Status.ACTIVE,
    "trialing": Membership.Status.ACTIVE,
    "past_due": Membership.Status.PAST_DUE,
    "unpaid": Membership.Status.PAST_DUE,
    "canceled": Membership.Status.CANCELED,
    "incomplete_expired": Membership.Status.CANCELED,
}


def _membership_from_subscription(subscription: dict) -> Membership | None:
    """The membership a subscription is (created on first sight, from its metadata, locked).

    A fan who paid two Checkout pages for one creator (opened in two tabs) has two subscriptions:
    the second one seen becomes a canceled duplicate, canceled on Stripe with its payments refunded
    once the transaction commits (``membership_settle_duplicate``)."""
    membership = Membership.objects.select_for_update().filter(stripe_subscription_id=subscription.get("id")).first()
    if membership is not None:
        return membership
    metadata = subscription.get("metadata") or {}
    tier_id, user_id = str(metadata.get("socialflow_tier", "")), str(metadata.get("socialflow_user", ""))
    if not (tier_id.isdigit() and user_id.isdigit()):
        return None
    tier = MembershipTier.objects.filter(pk=int(tier_id)).first()
    fan = get_user_model().objects.select_for_update().filter(pk=int(user_id)).first()
    if tier is None or fan is None:
        return None
    # The fan's row is locked: two subscriptions seen at once are taken one after the other.
    current = Membership.objects.filter(
        user=fan, creator_id=tier.creator_id, status__in=Membership.MEMBER_STATUSES
    ).first()
    membership = Membership.objects.create(
        user=fan,
        creator=tier.creator,
        tier=tier,
        stripe_subscription_id=subscription["id"],
        status=Membership.Status.CANCELED if current else Membership.Status.ACTIVE,
        duplicate_of=current,
    )
    if current is not None:
        logger.warning("Subscription %s duplicates membership %s: canceling it", subscription["id"], current.pk)
        _settle_duplicate_on_commit(membership)
        return membership
    events.record(
        "membership.started", membership_id=membership.pk, user_id=membership.user_id, creator_id=tier.creator_id
    )
    return membership


def _settle_duplicate_on_commit(membership: Membership) -> None:
    from monetization import tasks  # tasks import services

    transaction.on_commit(lambda: tasks.membership_settle_duplicate.delay(membership.pk))


def membership_settle_duplicate(*, membership_id: int) -> int:
    """Cancel a duplicate membership's subscription on Stripe and refund its payments in full
    (each refund keyed by the payment, so a re-run refunds nothing twice). Returns how many
    payments it refunded."""
    membership = Membership.objects.filter(pk=membership_id, duplicate_of__isnull=False).first()
    if membership is None:
        return 0
    remote = gateway.subscription_retrieve(membership.stripe_subscription_id)
    if remote.get("status") not in ("canceled", "incomplete_expired"):
        gateway.subscription_cancel(subscription_id=membership.stripe_subscription_id)
    refunded = 0
    for payment_id in membership.payments.values_list("pk", flat=True):
        with transaction.atomic():
            payment = MembershipPayment.objects.select_for_update().get(pk=payment_id)
            if payment.status not in REFUNDABLE_STATUSES or not payment.payment_intent_id:
                continue
            gateway.refund_create(
                payment_intent_id=payment.payment_intent_id,
                amount_minor=payment.refundable_minor,
                metadata={"socialflow_membership_payment": payment.pk, "reason": "duplicate subscription"},
                idempotency_key=f"membership-duplicate-refund-{payment.pk}",
            )
            _apply_refunded(payment, payment.amount_minor)
            refunded += 1
    return refunded


def stripe_subscription_changed(subscription: dict, *, event_id: str = "", at: datetime | None = None) -> None:
    """created / updated / deleted: the membership's status follows the subscription's as it was
    ``at`` (the event's creation). Stripe does not deliver in order: a state older than the one
    stored is a late delivery and is ignored; canceled is final; a duplicate stays canceled."""
    at = at or timezone.now()
    status = _SUBSCRIPTION_STATUS.get(subscription.get("status"))
    with transaction.atomic():
        membership = _membership_from_subscription(subscription)
        if membership is None or status is None or membership.duplicate_of_id is not None:
            return
        if membership.state_at is not None and at < membership.state_at:
            return
        if membership.status == Membership.Status.CANCELED and status != Membership.Status.CANCELED:
            return
        membership.state_at = at
        fields = ["state_at"]
        if membership.status != status:
            membership.status, membership.updated_at = status, timezone.now()
            fields += ["status", "updated_at"]
        membership.save(update_fields=fields)


def stripe_subscription_deleted(subscription: dict, *, event_id: str = "", at: datetime | None = None) -> None:
    stripe_subscription_changed({**subscription, "status": "canceled"}, event_id=event_id, at=at)


def stripe_invoice_paid(invoice: dict, *, event_id: str = "") -> None:
    """A membership's first payment or a renewal: the creator's earning less the platform fee (a
    ``MembershipPayment``, once per invoice), and a past-due membership is active again. A
    duplicate membership's payment is credited, then refunded. (A creator plan's invoice is
    ``plans.services.stripe_plan_invoice_paid``'s.)"""
    subscription_id = gateway.invoice_subscription_id(invoice)
    amount = int(invoice.get("amount_paid") or 0)
    if not subscription_id or amount <= 0:
        return
    gross = Money(amount, str(invoice.get("currency", "")).upper())
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(stripe_subscription_id=subscription_id).first()
        if membership is None:
            # The invoice can come before the subscription's own events: ask Stripe for it.
            membership = _membership_from_subscription(gateway.subscription_retrieve(subscription_id))
        if membership is None:
            return
        share, fee = fee_split(gross)
        payment, created = MembershipPayment.objects.get_or_create(
            stripe_invoice_id=str(invoice.get("id")),
            defaults={
                "membership": membership,
                "creator_id": membership.creator_id,
                "payment_intent_id": gateway.invoice_payment_intent_id(invoice),
                "amount_minor": gross.amount_minor,
                "currency": gross.currency,
                "platform_fee_minor": fee.amount_minor,
            },
        )
        ledger_post_earning(
            creator=membership.creator,
            gross=gross,
            source=Source.MEMBERSHIP,
            idempotency_key=f"membership-invoice:{invoice.get('id')}",
            memo=f"Membership {membership.pk}",
        )
        if membership.duplicate_of_id is not None:
            if created:
                _settle_duplicate_on_commit(membership)
        elif membership.status == Membership.Status.PAST_DUE:
            membership.status, membership.updated_at = Membership.Status.ACTIVE, timezone.now()
            membership.save(update_fields=["status", "updated_at"])


def stripe_invoice_failed(invoice: dict, *, event_id: str = "") -> None:
    subscription_id = gateway.invoice_subscription_id(invoice)
    if subscription_id:
        Membership.objects.filter(stripe_subscription_id=subscription_id, status=Membership.Status.ACTIVE).update(
            status=Membership.Status.PAST_DUE, updated_at=timezone.now()
        )


# --- balance checkpoints --------------------------------------------------------------------------


def ledger_checkpoint(*, account: Account, now: datetime | None = None) -> BalanceCheckpoint | None:
    """Record the sum of the account's entries older than ``MONETIZATION_CHECKPOINT_LAG_S``
    (a transaction commits within seconds of its ``created_at``, so none can still arrive below
    it), continuing from the previous checkpoint. None when nothing new is old enough."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MONETIZATION_CHECKPOINT_LAG_S)
    last = BalanceCheckpoint.objects.filter(account=account).order_by("-through_entry_id").first()
    through, base = (last.through_entry_id, last.total_minor) if last else (0, 0)
    settled = Entry.objects.filter(account=account, id__gt=through, created_at__lte=cutoff)
    # Up to the first entry that is not old enough yet: ids below it are all settled.
    young = Entry.objects.filter(account=account, id__gt=through, created_at__gt=cutoff).order_by("id").first()
    if young is not None:
        settled = settled.filter(id__lt=young.pk)
    summary = settled.aggregate(last_id=Max("id"), total=Sum("amount_minor"))
    if summary["last_id"] is None:
        return None
    checkpoint, _ = BalanceCheckpoint.objects.get_or_create(
        account=account,
        through_entry_id=summary["last_id"],
        defaults={"total_minor": base + summary["total"]},
    )
    return checkpoint


def ledger_checkpoint_busy_accounts(*, min_new_entries: int | None = None) -> int:
    """Checkpoint every account with at least ``MONETIZATION_CHECKPOINT_EVERY`` entries since its
    last checkpoint (periodic). Returns how many checkpoints were written."""
    threshold = settings.MONETIZATION_CHECKPOINT_EVERY if min_new_entries is None else min_new_entries
    written = 0
    for account in Account.objects.order_by("pk").iterator():
        last = BalanceCheckpoint.objects.filter(account=account).order_by("-through_entry_id").first()
        new = Entry.objects.filter(account=account, id__gt=last.through_entry_id if last else 0).count()
        if new >= threshold and ledger_checkpoint(account=account) is not None:
            written += 1
    return written


# --- revenue share (ad revenue → creators and copyright claimants) --------------------------------

AdRevenueSource = Callable[..., dict[int, Money]]
_ad_revenue_source: AdRevenueSource | None = None


def set_ad_revenue_source(source: AdRevenueSource | None) -> None:
    """Where the daily job reads each video's ad revenue: ``source(start=, end=) -> {video id: Money}``
    (the ads package registers ``ad_revenue_by_video`` from ``MonetizationConfig.ready``)."""
    global _ad_revenue_source
    _ad_revenue_source = source


@dataclass(frozen=True)
class RevenueSharePart:
    user_id: int
    source: str  # REVENUE_SHARE for the uploader, COPYRIGHT_SHARE for a claimant
    amount: Money


def revenue_share_parts(
    *, video_id: int, author_id: int, gross: Money, creator_bps: int | None = None
) -> list[RevenueSharePart]:
    """How one video's ad revenue is shared: the creators' part is ``creator_bps`` of ``gross``
    (default ``MONETIZATION_AD_CREATOR_SHARE_BPS``), and of it each monetize claimant takes its
    matched fraction (``revenue.claim_weights``), the uploader the rest. One largest-remainder split
    over [platform, uploader, claimants…] of the exact shares, so the parts add up to ``gross`` to the
    unit and none is a whole unit off its exact share. The platform's part is not in the list."""
    bps = settings.MONETIZATION_AD_CREATOR_SHARE_BPS if creator_bps is None else creator_bps
    if isinstance(bps, bool) or not isinstance(bps, int) or not 0 <= bps <= BPS:
        raise InvalidInput("A creator share is 0 to 10000 basis points.", code="invalid_share")
    if gross.amount_minor <= 0:
        return []
    claimants = [(user_id, weight) for user_id, weight in revenue.claim_weights(video_id=video_id) if weight > 0]
    claimed = sum((weight for _, weight in claimants), Fraction(0))
    if claimed > 1:  # the provider promises at most 1; never pay out more than the creators' part
        claimants = [(user_id, weight / claimed) for user_id, weight in claimants]
        claimed = Fraction(1)
    creators = Fraction(bps, BPS)
    weights = [1 - creators, creators * (1 - claimed)] + [creators * weight for _, weight in claimants]
    if sum(weights) <= 0:  # 0 % to creators with everything… nothing to share
        return []
    shares = gross.split(weights)
    parts = [RevenueSharePart(author_id, Source.REVENUE_SHARE, shares[1])]
    parts += [
        RevenueSharePart(user_id, Source.COPYRIGHT_SHARE, share)
        for (user_id, _), share in zip(claimants, shares[2:], strict=True)
    ]
    return [part for part in parts if part.amount.amount_minor > 0]


def _period_key(start: datetime, end: datetime) -> str:
    return f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}-{end.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _revenue_share_video(*, video_id: int, author_id: int, gross: Money, start: datetime, end: datetime) -> bool:
    """Share out one video's revenue for the period, once. False if it was already shared."""
    parts = revenue_share_parts(video_id=video_id, author_id=author_id, gross=gross)
    period = _period_key(start, end)
    users = get_user_model().objects.in_bulk({part.user_id for part in parts}) if parts else {}
    try:
        with transaction.atomic():
            RevenueShare.objects.create(
                video_id=video_id,
                period_start=start,
                period_end=end,
                currency=gross.currency,
                gross_minor=gross.amount_minor,
                creators_minor=sum(part.amount.amount_minor for part in parts if part.user_id in users),
            )
            funding = platform_account(AccountKind.PLATFORM_REVENUE, gross.currency)
            for part in parts:
                user = users.get(part.user_id)
                if user is None:  # a claimant whose account is gone: the platform keeps the share
                    continue
                party = "creator" if part.source == Source.REVENUE_SHARE else "claimant"
                ledger_post(
                    source=part.source,
                    idempotency_key=f"revenue-share:{period}:{video_id}:{party}:{part.user_id}",
                    memo=f"Ad revenue of video {video_id}, {period}",
                    lines=[
                        (funding, -part.amount),
                        (creator_account(user, AccountKind.CREATOR_PENDING, gross.currency), part.amount),
                    ],
                )
    except IntegrityError:
        if RevenueShare.objects.filter(video_id=video_id, period_start=start, period_end=end).exists():
            return False  # shared already (or concurrently): nothing posted twice
        raise
    return True


def revenue_share_allocate(*, start: datetime, end: datetime, revenue_by_video: dict[int, Money] | None = None) -> int:
    """Share out each video's ad revenue for ``[start, end)`` (``revenue_by_video``, else the
    registered ad revenue source): the creator's share (``MONETIZATION_AD_CREATOR_SHARE_BPS``) to
    the uploader and the monetize claimants by matched duration, each a pending earning funded by
    ``platform_revenue``. Re-runnable: a video shared for this period is skipped, and every posting
    is keyed by (period, video, party). Returns how many videos were shared now."""
    if start.tzinfo is None or end.tzinfo is None or start >= end:
        raise InvalidInput(
            "A revenue share period is an aware [start, end) with start before end.", code="invalid_period"
        )
    if revenue_by_video is None:
        if _ad_revenue_source is None:
            logger.info("revenue share %s: no ad revenue source registered, nothing to share", _period_key(start, end))
            return 0
        revenue_by_video = _ad_revenue_source(start=start, end=end)
    done = set(
        RevenueShare.objects.filter(
            period_start=start, period_end=end, video_id__in=list(revenue_by_video)
        ).values_list("video_id", flat=True)
    )
    todo = {vid: gross for vid, gross in revenue_by_video.items() if vid not in done and gross.amount_minor > 0}
    authors = videos_selectors.video_authors(video_ids=todo)
    shared = 0
    for video_id in sorted(todo):
        if video_id not in authors:
            logger.warning("revenue share: video %s is gone, its ad revenue stays the platform's", video_id)
            continue
        author_id, _ = authors[video_id]
        shared += _revenue_share_video(
            video_id=video_id, author_id=author_id, gross=todo[video_id], start=start, end=end
        )
    return shared


def revenue_share_allocate_recent_days(*, now: datetime | None = None, days: int | None = None) -> int:
    """The daily job: each of the last ``days`` (``MONETIZATION_REVENUE_SHARE_DAYS``) whole UTC days."""
    now = now or timezone.now()
    days = settings.MONETIZATION_REVENUE_SHARE_DAYS if days is None else days
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    shared = 0
    for back in range(days, 0, -1):
        start = today - timedelta(days=back)
        shared += revenue_share_allocate(start=start, end=start + timedelta(days=1))
    return shared

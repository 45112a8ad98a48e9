"""The only module that talks to Stripe (or the local Stripe-compatible server: the same calls,
``stripe.api_base`` set from ``STRIPE_API_HOST``). Services call these functions; tests replace the
server, never this module.

Every call names the API version (``STRIPE_API_VERSION``) and an idempotency key where Stripe takes
one, so a retried request never charges, refunds or transfers twice.
"""

import stripe
from django.conf import settings

from socialflow.core.exceptions import InvalidInput, Unavailable


class PaymentProviderError(Unavailable):
    default_message = "The payment provider could not be reached; try again in a moment."
    default_code = "payment_provider_unavailable"


class PaymentRefused(InvalidInput):
    """Stripe refused the request (a card error, an amount too large): a 400 for the caller."""

    default_message = "The payment provider refused the request."
    default_code = "payment_refused"


def _options(idempotency_key: str | None = None) -> dict:
    options = {"api_key": settings.STRIPE_SECRET_KEY, "stripe_version": settings.STRIPE_API_VERSION}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def _call(function, *args, idempotency_key: str | None = None, **params):
    try:
        return function(*args, **params, **_options(idempotency_key))
    except stripe.InvalidRequestError as exc:
        raise PaymentRefused(exc.user_message or str(exc), code=exc.code or "payment_refused") from exc
    except stripe.CardError as exc:
        raise PaymentRefused(exc.user_message or "The card was declined.", code=exc.code or "card_declined") from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(retry_after_s=5) from exc


def payment_intent_create(*, amount_minor: int, currency: str, metadata: dict, idempotency_key: str):
    return _call(
        stripe.PaymentIntent.create,
        amount=amount_minor,
        currency=currency.lower(),
        metadata={key: str(value) for key, value in metadata.items()},
        payment_method_types=["card"],
        idempotency_key=idempotency_key,
    )


def payment_intent_retrieve(intent_id: str):
    return _call(stripe.PaymentIntent.retrieve, intent_id)


def refund_create(*, payment_intent_id: str, amount_minor: int, metadata: dict, idempotency_key: str):
    return _call(
        stripe.Refund.create,
        payment_intent=payment_intent_id,
        amount=amount_minor,
        metadata={key: str(value) for key, value in metadata.items()},
        idempotency_key=idempotency_key,
    )


def account_create(*, email: str, country: str, metadata: dict, idempotency_key: str):
    return _call(
        stripe.Account.create,
        type="express",
        email=email or None,
        country=country,
        metadata={key: str(value) for key, value in metadata.items()},
        idempotency_key=idempotency_key,
    )


def account_retrieve(account_id: str):
    return _call(stripe.Account.retrieve, account_id)


def account_link_create(*, account_id: str, refresh_url: str, return_url: str):
    return _call(
        stripe.AccountLink.create,
        account=account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        type="account_onboarding",
    )


def transfer_create(*, amount_minor: int, currency: str, destination: str, metadata: dict, idempotency_key: str):
    return _call(
        stripe.Transfer.create,
        amount=amount_minor,
        currency=currency.lower(),
        destination=destination,
        metadata={key: str(value) for key, value in metadata.items()},
        idempotency_key=idempotency_key,
    )


def price_create(*, amount_minor: int, currency: str, name: str, interval: str, metadata: dict):
    return _call(
        stripe.Price.create,
        unit_amount=amount_minor,
        currency=currency.lower(),
        recurring={"interval": interval},
        product_data={"name": name[:250]},
        metadata={key: str(value) for key, value in metadata.items()},
    )


def checkout_session_create(
    *,
    price_id: str,
    success_url: str,
    cancel_url: str,
    customer_email: str,
    metadata: dict,
    idempotency_key: str,
    trial_period_days: int | None = None,
):
    metadata = {key: str(value) for key, value in metadata.items()}
    subscription_data: dict = {"metadata": metadata}
    if trial_period_days:
        subscription_data["trial_period_days"] = trial_period_days
    return _call(
        stripe.checkout.Session.create,
        mode="subscription",
        line_items=[{"price": price_id, "quantity": 1}],
        success_url=success_url,
        cancel_url=cancel_url,
        customer_email=customer_email or None,
        metadata=metadata,
        subscription_data=subscription_data,
        idempotency_key=idempotency_key,
    )


def subscription_retrieve(subscription_id: str):
    return _call(stripe.Subscription.retrieve, subscription_id)


def subscription_change_price(*, subscription_id: str, item_id: str, price_id: str, idempotency_key: str):
    """Move the subscription's one item to another Price, prorating the rest of the period; a
    cancellation at period end is withdrawn (changing plan means staying)."""
    return _call(
        stripe.Subscription.modify,
        subscription_id,
        items=[{"id": item_id, "price": price_id}],
        proration_behavior="create_prorations",
        cancel_at_period_end=False,
        idempotency_key=idempotency_key,
    )


def subscription_cancel_at_period_end(*, subscription_id: str, cancel: bool = True):
    return _call(stripe.Subscription.modify, subscription_id, cancel_at_period_end=cancel)


def subscription_cancel(*, subscription_id: str):
    """Cancel now (not at the period's end): a subscription that should not exist."""
    return _call(stripe.Subscription.cancel, subscription_id)


# --- shapes that changed between API versions -----------------------------------------------------


def invoice_subscription_id(invoice: dict) -> str:
    """The invoice's subscription: a top-level field before API 2025-03-31 (and on the local
    server), under ``parent.subscription_details`` since."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    found = invoice.get("subscription") or details.get("subscription") or ""
    return found if isinstance(found, str) else found.get("id", "")


def invoice_subscription_metadata(invoice: dict) -> dict | None:
    """The subscription's metadata as the invoice carries it (API 2025-03-31 and later); None
    where the invoice does not carry it (older versions, the local server)."""
    details = (invoice.get("parent") or {}).get("subscription_details")
    return details.get("metadata") or {} if details else None


def invoice_payment_intent_id(invoice: dict) -> str:
    """The PaymentIntent that paid the invoice: top-level before API 2025-03-31 (and on the local
    server), in ``payments`` since."""
    found = invoice.get("payment_intent")
    if not found:
        for row in (invoice.get("payments") or {}).get("data") or []:
            found = (row.get("payment") or {}).get("payment_intent")
            if found:
                break
    if not found:
        return ""
    return found if isinstance(found, str) else found.get("id", "")

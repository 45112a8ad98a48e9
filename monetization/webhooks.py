"""Stripe webhooks, through dj-stripe.

Stripe (or the local server) POSTs each event to dj-stripe's ``/stripe/webhook/<uuid>/``. dj-stripe
records the request (``WebhookEventTrigger``), verifies its ``Stripe-Signature`` with the endpoint's
secret and a ``STRIPE_WEBHOOK_TOLERANCE`` (300 s) window — a bad signature or a stale timestamp is a
400 and nothing else happens — then creates its ``Event`` and sends the event's signal, all in one
transaction. Our receivers hang off those signals (``connect()``, from ``MonetizationConfig.ready``)
and call the services, so they run inside that transaction and only for an event id dj-stripe has
not processed before: a replayed or re-delivered event finds its ``Event`` row and runs nothing
again. The services key their ledger postings by Stripe ids as well, so even a handler invoked
twice posts once.

dj-stripe accepts an ``X-Djstripe-Webhook-Secret`` header overriding the secret when ``DEBUG`` is
on (for the Stripe CLI): ``_drop_secret_override`` removes it from every request before validation,
so no setting can turn that on.
"""

import logging

from django.conf import settings
from django.urls import reverse
from djstripe.enums import WebhookEndpointValidation
from djstripe.models import WebhookEndpoint
from djstripe.signals import WEBHOOK_SIGNALS, webhook_pre_validate

from monetization import services
from monetization.plans import services as plan_services

logger = logging.getLogger(__name__)

OVERRIDE_HEADER = "x-djstripe-webhook-secret"


def webhook_url() -> str:
    path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": settings.STRIPE_WEBHOOK_UUID})
    return settings.SITE_URL + path


def webhook_endpoint_ensure() -> WebhookEndpoint:
    """dj-stripe's record of our endpoint: the uuid in its URL, the secret and the tolerance."""
    endpoint_id = "we_socialflow_" + settings.STRIPE_WEBHOOK_UUID.hex[:12]
    endpoint, _ = WebhookEndpoint.objects.update_or_create(
        djstripe_uuid=settings.STRIPE_WEBHOOK_UUID,
        defaults={
            "id": endpoint_id,
            "livemode": settings.STRIPE_LIVE_MODE,
            "api_version": settings.STRIPE_API_VERSION,
            "enabled_events": ["*"],
            "secret": settings.STRIPE_WEBHOOK_SECRET,
            "status": "enabled",
            "url": webhook_url(),
            "djstripe_tolerance": settings.STRIPE_WEBHOOK_TOLERANCE,
            "djstripe_validation_method": WebhookEndpointValidation.verify_signature,
        },
    )
    return endpoint


def _drop_secret_override(sender, instance, **kwargs) -> None:
    headers = {name: value for name, value in instance.headers.items() if name.lower() != OVERRIDE_HEADER}
    if len(headers) != len(instance.headers):
        logger.warning("Stripe webhook: dropped an %s header (never honoured)", OVERRIDE_HEADER)
        instance.headers = headers


def _subscription_changed(subscription: dict, *, event_id: str = "", at=None) -> None:
    # One Stripe subscription event, two kinds of subscription: a creator's plan or a fan's
    # membership. Both keep the newest state only: ``at`` is the event's creation.
    if plan_services.is_plan_subscription(subscription):
        plan_services.stripe_plan_subscription_changed(subscription, event_id=event_id, at=at)
    else:
        services.stripe_subscription_changed(subscription, event_id=event_id, at=at)


def _subscription_deleted(subscription: dict, *, event_id: str = "", at=None) -> None:
    if plan_services.is_plan_subscription(subscription):
        plan_services.stripe_plan_subscription_deleted(subscription, event_id=event_id, at=at)
    else:
        services.stripe_subscription_deleted(subscription, event_id=event_id, at=at)


def _invoice_paid(invoice: dict, *, event_id: str = "") -> None:
    if plan_services.invoice_is_plan(invoice):
        plan_services.stripe_plan_invoice_paid(invoice, event_id=event_id)
    else:
        services.stripe_invoice_paid(invoice, event_id=event_id)


# Stripe event type -> the service that reacts, given the event's object (as Stripe signed it).
HANDLERS = {
    "payment_intent.succeeded": services.stripe_payment_intent_succeeded,
    "payment_intent.payment_failed": services.stripe_payment_intent_failed,
    "charge.refunded": services.stripe_charge_refunded,
    "charge.dispute.created": services.stripe_dispute_created,
    "charge.dispute.closed": services.stripe_dispute_closed,
    "account.updated": services.stripe_account_updated,
    "transfer.created": services.stripe_transfer_created,
    "transfer.reversed": services.stripe_transfer_reversed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_deleted,
    "invoice.payment_succeeded": _invoice_paid,
    "invoice.payment_failed": services.stripe_invoice_failed,
}


def _receiver(event_type: str):
    handler = HANDLERS[event_type]

    timed = event_type.startswith("customer.subscription.")

    def receive(sender, event, **kwargs) -> None:
        if timed:
            handler(event.data.get("object") or {}, event_id=event.id, at=event.created)
        else:
            handler(event.data.get("object") or {}, event_id=event.id)

    receive.__name__ = f"on_{event_type.replace('.', '_')}"
    return receive


_receivers = {event_type: _receiver(event_type) for event_type in HANDLERS}


def connect() -> None:
    webhook_pre_validate.connect(_drop_secret_override, dispatch_uid="monetization.drop_secret_override")
    for event_type, receive in _receivers.items():
        WEBHOOK_SIGNALS[event_type].connect(receive, dispatch_uid=f"monetization.{event_type}")

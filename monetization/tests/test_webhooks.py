"""dj-stripe's endpoint with our receivers: a signed event is processed once; a bad signature, a
stale timestamp or a secret-override header changes nothing; a replay posts nothing twice."""

import time

import pytest
from djstripe import event_handlers
from djstripe.models import Event as StripeEvent
from djstripe.models import WebhookEventTrigger

from monetization import selectors, webhooks
from monetization.models import Tip
from monetization.tests.stripe_local import event_body, sign
from notifications.models import Notification
from socialflow.core.models import Event

pytestmark = pytest.mark.django_db


def _intent(tip, **overrides):
    return {
        "id": tip.payment_intent_id,
        "object": "payment_intent",
        "amount": tip.amount_minor,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"socialflow_tip": str(tip.pk)},
        **overrides,
    }


def _post(client, body, signature, **headers):
    path = webhooks.webhook_url().removeprefix("http://testserver").split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if not path.startswith("/") else path
    return client.post(path, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature, **headers)


@pytest.fixture(autouse=True)
def _no_remote_sync(monkeypatch):
    # dj-stripe's own handlers re-fetch the object from Stripe to sync its tables: not part of
    # what these tests check (test_stripe_flow does it against the local server).
    monkeypatch.setattr(event_handlers, "_handle_crud_like_event", lambda *args, **kwargs: None)


def test_signed_event_is_processed_once(client, endpoint, pending_tip, alice, django_capture_on_commit_callbacks):
    body = event_body("payment_intent.succeeded", _intent(pending_tip), event_id="evt_good")
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, body, sign(body, endpoint.secret))
    assert response.status_code == 200
    pending_tip.refresh_from_db()
    assert pending_tip.status == Tip.Status.PAID
    assert selectors.earnings_balances(user=alice)[0].pending.amount_minor == 405
    assert Event.objects.filter(name="tip.received").count() == 1
    assert Notification.objects.filter(recipient=alice, kind="tip_received").count() == 1

    # The same event again (Stripe retries; an attacker replays within the window): nothing new.
    again = _post(client, body, sign(body, endpoint.secret))
    assert again.status_code == 200
    assert selectors.earnings_balances(user=alice)[0].pending.amount_minor == 405
    assert Event.objects.filter(name="tip.received").count() == 1
    assert StripeEvent.objects.filter(id="evt_good").count() == 1
    assert selectors.ledger_totals() == {"USD": 0}


def test_bad_signature_is_refused(client, endpoint, pending_tip):
    body = event_body("payment_intent.succeeded", _intent(pending_tip), event_id="evt_bad")
    response = _post(client, body, sign(body, "whsec_not_the_secret"))
    assert response.status_code == 400
    pending_tip.refresh_from_db()
    assert pending_tip.status == Tip.Status.PENDING
    assert not StripeEvent.objects.filter(id="evt_bad").exists()
    assert WebhookEventTrigger.objects.get().valid is False


def test_tampered_body_is_refused(client, endpoint, pending_tip):
    body = event_body("payment_intent.succeeded", _intent(pending_tip), event_id="evt_tampered")
    signature = sign(body, endpoint.secret)
    tampered = body.replace(b'"amount": 500', b'"amount": 50000')
    assert _post(client, tampered, signature).status_code == 400
    pending_tip.refresh_from_db()
    assert pending_tip.status == Tip.Status.PENDING


def test_stale_timestamp_is_refused(client, endpoint, pending_tip):
    body = event_body("payment_intent.succeeded", _intent(pending_tip), event_id="evt_stale")
    stale = sign(body, endpoint.secret, timestamp=int(time.time()) - 301)
    assert _post(client, body, stale).status_code == 400
    pending_tip.refresh_from_db()
    assert pending_tip.status == Tip.Status.PENDING
    fresh = sign(body, endpoint.secret, timestamp=int(time.time()) - 290)
    assert _post(client, body, fresh).status_code == 200


def test_missing_signature_is_refused(client, endpoint, pending_tip):
    body = event_body("payment_intent.succeeded", _intent(pending_tip), event_id="evt_unsigned")
    path = "/stripe/webhook/" + str(endpoint.djstripe_uuid) + "/"
    assert client.post(path, data=body, content_type="application/json").status_code == 400


def test_debug_secret_override_header_is_ignored(client, endpoint, pending_tip, settings):
    settings.DEBUG = True
    body = event_body("payment_intent.succeeded", _intent(pending_tip), event_id="evt_forged")
    forged = sign(body, "whsec_attacker")
    response = _post(client, body, forged, HTTP_X_DJSTRIPE_WEBHOOK_SECRET="whsec_attacker")
    assert response.status_code == 400
    pending_tip.refresh_from_db()
    assert pending_tip.status == Tip.Status.PENDING


def test_amount_mismatch_is_not_credited(client, endpoint, pending_tip, alice):
    body = event_body("payment_intent.succeeded", _intent(pending_tip, amount=100), event_id="evt_mismatch")
    response = _post(client, body, sign(body, endpoint.secret))
    assert response.status_code == 200
    pending_tip.refresh_from_db()
    assert pending_tip.status == Tip.Status.PENDING
    assert selectors.earnings_balances(user=alice) == []


def test_charge_refunded_from_the_dashboard_reverses_once(client, endpoint, pending_tip, alice):
    body = event_body("payment_intent.succeeded", _intent(pending_tip), event_id="evt_paid")
    assert _post(client, body, sign(body, endpoint.secret)).status_code == 200
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_test_1", "amount": 500, "amount_refunded": 200}
    for event_id in ("evt_refund_1", "evt_refund_1b"):  # two deliveries of the same total
        body = event_body("charge.refunded", charge, event_id=event_id)
        assert _post(client, body, sign(body, endpoint.secret)).status_code == 200
    pending_tip.refresh_from_db()
    assert (pending_tip.status, pending_tip.refunded_minor) == (Tip.Status.PARTIALLY_REFUNDED, 200)
    assert pending_tip.refunds.count() == 1
    # The creator gives back their share of 200 (450/500 of it: 180), the platform its 20.
    assert selectors.earnings_balances(user=alice)[0].pending.amount_minor == 405 - 180
    assert selectors.ledger_totals() == {"USD": 0}

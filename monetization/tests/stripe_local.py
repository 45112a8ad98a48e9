"""The local Stripe-compatible server (monetization.devstripe) in a thread of the test process, and
helpers to sign webhooks the way Stripe does."""

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import time

import stripe
from aiohttp import web
from django.db import OperationalError
from localstripe import resources as ls_resources
from localstripe import webhooks as ls_webhooks

from monetization import webhooks
from monetization.devstripe import server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    """Serves devstripe on 127.0.0.1:<free port> until ``stop``; ``stripe.api_base`` points at it."""

    def __init__(self, state_file):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._state_file = state_file
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        server._use_state_file(self._state_file)
        app = server.build_app(public_url=self.url)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self._ready.set()
        self._loop.run_forever()

    def start(self):
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the local Stripe server did not start")
        return self

    def stop(self):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def quiesce(self, timeout: float = 15.0):
        """Stop delivering this test's events, and wait for a delivery under way to end (it would
        reach the live server after the test's database is gone)."""
        server.forget_pending_deliveries()
        deadline = time.monotonic() + timeout
        while server.deliveries_in_flight() and time.monotonic() < deadline:
            time.sleep(0.05)

    def reset(self):
        self.quiesce()
        ls_resources.store.clear()
        ls_webhooks._webhooks.clear()

    def call(self, fn, timeout: float = 15.0):
        """Run ``fn()`` on the server's event loop and return its result: localstripe schedules its
        webhooks with ``asyncio.ensure_future``, which needs that loop (the test's thread has none)."""

        async def run():
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def webhooks_to(self, url: str, secret: str) -> None:
        ls_webhooks._webhooks.clear()
        ls_webhooks.register_webhook("socialflow", url, secret, None)

    def pay(self, intent_id: str, card: str = "4242424242424242"):
        """What Stripe.js does with the client secret: attach a card and confirm."""
        options = {"api_key": "sk_test_socialflowlocalstripe000"}
        method = stripe.PaymentMethod.create(
            type="card", card={"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"}, **options
        )
        stripe.PaymentIntent.modify(intent_id, payment_method=method.id, **options)
        try:
            return stripe.PaymentIntent.confirm(intent_id, **options)
        except stripe.CardError:
            return stripe.PaymentIntent.retrieve(intent_id, **options)


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event_body(event_type: str, obj: dict, *, event_id: str = "evt_test_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2026-05-27.dahlia",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
        }
    ).encode()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except OperationalError:  # SQLite's shared in-memory test database, busy with the server
            result = None
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("timed out waiting")


def post_webhook(client, body: bytes, signature: str):
    """POST a signed event to dj-stripe's endpoint (our ``webhooks.webhook_url()``) with a test client."""
    path = "/" + webhooks.webhook_url().split("://", 1)[-1].split("/", 1)[1]
    return client.post(path, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

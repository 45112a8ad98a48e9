"""Start the local Stripe-compatible server: localstripe's aiohttp app, our resources, the local
Checkout and Connect onboarding pages, bound to loopback, state in a file of ours (reset per run),
webhooks signed and pushed to the given URL."""

import asyncio
import hashlib
import hmac
import html
import json
import logging
import pickle
import socket
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from localstripe import resources as ls
from localstripe import server as ls_server
from localstripe import webhooks as ls_webhooks
from localstripe.webhooks import register_webhook

from monetization.devstripe import resources as ours

logger = logging.getLogger("devstripe")


def _use_state_file(path: Path) -> None:
    """localstripe pickles its store to /tmp/localstripe.pickle (shared by every user and run):
    keep it in our var directory instead, and start from nothing."""

    def dump_to_disk(self):
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(dict(self), handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    def try_load_from_disk(self):
        return None

    ls.Store.dump_to_disk = dump_to_disk
    ls.Store.try_load_from_disk = try_load_from_disk
    path.unlink(missing_ok=True)
    ls.store.clear()


# Delivery attempts of one event, like Stripe's (which retries for days): here 8 tries, backing
# off from 0.5 s to 10 s.
DELIVERY_ATTEMPTS = 8
_delivery = {"lock": None, "generation": 0, "in_flight": 0}


def deliveries_in_flight() -> int:
    return _delivery["in_flight"]


def forget_pending_deliveries() -> None:
    """Events created before now are not delivered (the state they describe was reset)."""
    _delivery["generation"] += 1


async def _send_webhook(event) -> None:
    """localstripe sends each event once, concurrently with the others, signed with the event's
    creation time. Stripe signs every attempt with the time of that attempt and retries a failed
    delivery: do that, one event at a time (in creation order), so a busy receiver is retried
    rather than losing the event."""
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode("utf-8")
    generation = _delivery["generation"]
    await asyncio.sleep(0.2)  # let the request that caused it answer first, as Stripe does
    if _delivery["lock"] is None:
        _delivery["lock"] = asyncio.Lock()
    async with _delivery["lock"]:
        for webhook in list(ls_webhooks._webhooks.values()):
            if generation != _delivery["generation"]:
                return
            if webhook.events is not None and event.type not in webhook.events:
                continue
            await _deliver(webhook, event.type, payload)


async def _deliver(webhook, event_type: str, payload: bytes) -> bool:
    generation = _delivery["generation"]
    for attempt in range(DELIVERY_ATTEMPTS):
        if generation != _delivery["generation"]:
            return False
        timestamp = int(time.time())
        signature = hmac.new(webhook.secret.encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": f"t={timestamp},v1={signature}",
        }
        _delivery["in_flight"] += 1
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(webhook.url, data=payload, headers=headers) as response,
            ):
                if 200 <= response.status < 300:
                    logger.info("webhook %s delivered", event_type)
                    return True
                logger.warning("webhook %s: HTTP %d (attempt %d)", event_type, response.status, attempt + 1)
        except aiohttp.ClientError as exc:
            logger.warning("webhook %s: %s (attempt %d)", event_type, exc, attempt + 1)
        finally:
            _delivery["in_flight"] -= 1
        await asyncio.sleep(min(0.5 * 2**attempt, 10))
    logger.error("webhook %s: gave up after %d attempts", event_type, DELIVERY_ATTEMPTS)
    return False


def _add_resource_routes(app: web.Application) -> None:
    for cls in ours.RESOURCES:
        base = "/v1/" + cls.object + "s"
        app.router.add_route("POST", base, ls_server.api_create(cls, base))
        app.router.add_route("GET", base + "/{id}", ls_server.api_retrieve(cls, base))
        app.router.add_route("POST", base + "/{id}", ls_server.api_update(cls, base))
        app.router.add_route("GET", base, ls_server.api_list_all(cls, base))


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">
<h1>{title}</h1><p>{body}</p>
<form method="post"><button type="submit">{button}</button></form>
<p><small>Local Stripe-compatible server (development): no real money moves.</small></p>
</body></html>"""


async def checkout_page(request: web.Request) -> web.Response:
    session = ours.CheckoutSession._api_retrieve(request.match_info["id"])
    amount = f"{session.amount_total / 100:.2f} {session.currency.upper()}"
    every = " per month" if session.mode == "subscription" else ""
    body = f"Pay {html.escape(amount)}{every} with the test card 4242 4242 4242 4242."
    return web.Response(text=_PAGE.format(title="Checkout", body=body, button="Pay"), content_type="text/html")


async def checkout_pay(request: web.Request) -> web.Response:
    session = ours.CheckoutSession._api_retrieve(request.match_info["id"])
    session._pay()
    raise web.HTTPSeeOther(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))


async def connect_page(request: web.Request) -> web.Response:
    link = ours.AccountLink._api_retrieve(request.match_info["id"])
    body = f"Connect Express onboarding for {html.escape(link.account)} (test data is filled in for you)."
    return web.Response(text=_PAGE.format(title="Set up payouts", body=body, button="Finish"), content_type="text/html")


async def connect_finish(request: web.Request) -> web.Response:
    link = ours.AccountLink._api_retrieve(request.match_info["id"])
    ours.Account._api_retrieve(link.account)._complete_onboarding()
    raise web.HTTPSeeOther(link.return_url)


def build_app(*, public_url: str) -> web.Application:
    app = ls_server.app
    ls_webhooks._send_webhook = _send_webhook
    ours.PUBLIC_BASE["url"] = public_url.rstrip("/")
    # localstripe registered its extra routes at import; ours were appended after: add them.
    registered = {(route.method, route.resource.canonical) for route in app.router.routes()}
    for method, url, func in ours.extra_apis:
        if (method, url) not in registered:
            app.router.add_route(method, url, ls_server.api_extra(func, url))
    _add_resource_routes(app)
    app.router.add_get("/_local/checkout/{id}", checkout_page)
    app.router.add_post("/_local/checkout/{id}", checkout_pay)
    app.router.add_get("/_local/connect/{id}", connect_page)
    app.router.add_post("/_local/connect/{id}", connect_finish)

    # The hosted pages are opened by a browser, without an API key.
    @web.middleware
    async def auth(request, handler):
        if request.path.startswith("/_local/"):
            return await handler(request)
        return await ls_server.auth_middleware(request, handler)

    middlewares = app._middlewares
    middlewares[middlewares.index(ls_server.auth_middleware)] = auth
    return app


def serve(*, host: str, port: int, state_file: Path, webhook_url: str, webhook_secret: str) -> None:
    _use_state_file(state_file)
    app = build_app(public_url=f"http://{host}:{port}")
    register_webhook("socialflow", webhook_url, webhook_secret, None)
    ours._platform_account()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    access = logging.getLogger("aiohttp.access")  # through the project's logging (stdout, JSON)
    access.setLevel(logging.INFO)
    print(f"devstripe: Stripe-compatible server on http://{host}:{port}, webhooks to {webhook_url}", flush=True)
    web.run_app(app, sock=sock, access_log=access, print=None)

"""Payments: Stripe through dj-stripe (the monetization app).

Two modes, one code path:

- **Real Stripe**: ``STRIPE_SECRET_KEY`` (``sk_test_…``/``sk_live_…``) and ``STRIPE_WEBHOOK_SECRET``
  (``whsec_…``) from the environment; stripe-python talks to api.stripe.com.
- **Local** (the default, no keys): a Stripe-compatible server (``localstripe`` plus
  ``monetization/devstripe``) on ``127.0.0.1:STRIPE_LOCAL_PORT``, started by ``make run``.
  stripe-python's ``api_base`` points at it, the keys are well-formed test keys, and the webhook
  secret is made once per machine under ``VAR_DIR`` and shared with the local server, which signs
  its webhooks with it exactly as Stripe does.

A half-configured integration refuses to start: a secret key without a webhook secret would take
payments whose confirmations we could never verify. dj-stripe accepts an
``X-Djstripe-Webhook-Secret`` header that overrides the secret when ``DEBUG`` is on: monetization
strips that header before validation (``monetization.webhooks``), and a real key with ``DEBUG`` is
refused here as well.
"""

import re
import uuid

from django.core.exceptions import ImproperlyConfigured

from socialflow.envtools import env, env_secret, persistent_secret_key

from .base import DEBUG, VAR_DIR

_KEY = re.compile(r"^sk_(test|live)_[A-Za-z0-9]{24,}$")
_PUBLISHABLE = re.compile(r"^pk_(test|live)_[A-Za-z0-9]{24,}$")

# The Stripe API version every request and every webhook is rendered in (dj-stripe and
# stripe-python have different defaults: say it once).
STRIPE_API_VERSION = env.str("STRIPE_API_VERSION", default="2026-05-27.dahlia")

_secret_key = env_secret("STRIPE_SECRET_KEY")
_webhook_secret = env_secret("STRIPE_WEBHOOK_SECRET")
STRIPE_LOCAL = not _secret_key
# The local Stripe-compatible server (make run): loopback only.
STRIPE_LOCAL_HOST = "127.0.0.1"
STRIPE_LOCAL_PORT = env.int("STRIPE_LOCAL_PORT", default=8420)

if STRIPE_LOCAL:
    if _webhook_secret:
        raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is set without STRIPE_SECRET_KEY: set both or neither")
    # Well-formed test keys the local server accepts (not secrets: nothing real is behind them).
    STRIPE_SECRET_KEY = "sk_test_socialflowlocalstripe000"  # noqa: S105
    STRIPE_PUBLISHABLE_KEY = "pk_test_socialflowlocalstripe000"
    STRIPE_WEBHOOK_SECRET = "whsec_" + re.sub(
        r"[^A-Za-z0-9]", "", persistent_secret_key(VAR_DIR / "stripe_webhook_secret")
    )
    # dj-stripe sets stripe-python's api_base from this (and warns, W002, that it is set: here
    # on purpose).
    STRIPE_API_HOST = f"http://{STRIPE_LOCAL_HOST}:{STRIPE_LOCAL_PORT}"
    SILENCED_SYSTEM_CHECKS = ["djstripe.W002"]
else:
    STRIPE_SECRET_KEY = _secret_key
    STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
    STRIPE_WEBHOOK_SECRET = _webhook_secret
    if not _KEY.match(STRIPE_SECRET_KEY):
        raise ImproperlyConfigured("STRIPE_SECRET_KEY must look like Stripe's: sk_test_ or sk_live_ and 24+ characters")
    if STRIPE_PUBLISHABLE_KEY and not _PUBLISHABLE.match(STRIPE_PUBLISHABLE_KEY):
        raise ImproperlyConfigured("STRIPE_PUBLISHABLE_KEY must look like Stripe's: pk_test_ or pk_live_ …")
    if not STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
        raise ImproperlyConfigured("STRIPE_SECRET_KEY is set without a whsec_… STRIPE_WEBHOOK_SECRET: set both")
    if DEBUG and not env.bool("STRIPE_ALLOW_DEBUG", default=False):
        # With DEBUG, dj-stripe accepts a request header that overrides the webhook secret check.
        raise ImproperlyConfigured("DEBUG=true with real Stripe keys would let anyone forge webhooks")

STRIPE_ENABLED = True
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith("sk_live_")
# dj-stripe reads its keys under these names.
STRIPE_TEST_SECRET_KEY = "" if STRIPE_LIVE_MODE else STRIPE_SECRET_KEY
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY if STRIPE_LIVE_MODE else ""
STRIPE_TEST_PUBLIC_KEY = "" if STRIPE_LIVE_MODE else STRIPE_PUBLISHABLE_KEY
STRIPE_LIVE_PUBLIC_KEY = STRIPE_PUBLISHABLE_KEY if STRIPE_LIVE_MODE else ""
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
# Our webhook endpoint's dj-stripe id: /stripe/webhook/<uuid>/ (the local server posts there; with
# real Stripe, register that URL on the dashboard and run `manage.py stripe_webhook_endpoint`).
STRIPE_WEBHOOK_UUID = uuid.UUID(env.str("STRIPE_WEBHOOK_UUID", default="5f1d9a52-7c1e-4b8e-9a55-50c1a1f10f10"))
# A signature older than this is refused (replayed or stale delivery).
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)

# dj-stripe's migrations, squashed (monetization/djstripe_migrations/__init__.py says why).
MIGRATION_MODULES = {"djstripe": "monetization.djstripe_migrations"}

"""Payments: Stripe keys (the monetization app).

A half-configured integration refuses to start: a secret key without a webhook secret would take
payments whose confirmations we could never verify.
"""

from django.core.exceptions import ImproperlyConfigured

from socialflow.envtools import env, env_secret

from .base import DEBUG

STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET")
STRIPE_ENABLED = bool(STRIPE_SECRET_KEY)
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured("STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET: set both or neither")
if STRIPE_ENABLED and DEBUG and not env.bool("STRIPE_ALLOW_DEBUG", default=False):
    # With DEBUG, dj-stripe accepts a request header that overrides the webhook secret check.
    raise ImproperlyConfigured("DEBUG=true with Stripe enabled would let anyone forge webhooks")

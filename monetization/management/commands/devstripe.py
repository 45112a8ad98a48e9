"""``manage.py devstripe``: the local Stripe-compatible server (make run starts it under
supervisord). Refuses to run with real Stripe keys: then Stripe is the server."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monetization import webhooks
from monetization.devstripe import server


class Command(BaseCommand):
    help = "Serve the local Stripe-compatible server (localstripe + monetization.devstripe) on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.STRIPE_LOCAL_PORT)
        parser.add_argument("--webhook-url", default="", help="default: SITE_URL + our dj-stripe endpoint")

    def handle(self, *args, port, webhook_url, **options):
        if not settings.STRIPE_LOCAL:
            raise CommandError("STRIPE_SECRET_KEY is set: payments go to Stripe, not to a local server")
        webhooks.webhook_endpoint_ensure()
        server.serve(
            host=settings.STRIPE_LOCAL_HOST,
            port=port,
            state_file=settings.VAR_DIR / "devstripe.pickle",
            webhook_url=webhook_url or webhooks.webhook_url(),
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        )

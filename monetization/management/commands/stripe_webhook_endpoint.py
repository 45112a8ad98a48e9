"""``manage.py stripe_webhook_endpoint``: make sure dj-stripe knows our webhook endpoint (its
secret, its tolerance), so /stripe/webhook/<STRIPE_WEBHOOK_UUID>/ verifies signatures. Idempotent;
``make run`` runs it after migrating."""

from django.core.management.base import BaseCommand

from monetization import webhooks


class Command(BaseCommand):
    help = "Create or update dj-stripe's WebhookEndpoint for STRIPE_WEBHOOK_UUID with STRIPE_WEBHOOK_SECRET."

    def handle(self, *args, **options):
        endpoint = webhooks.webhook_endpoint_ensure()
        self.stdout.write(f"Stripe webhooks: {webhooks.webhook_url()} ({endpoint.id})")

from django.apps import AppConfig


class MonetizationConfig(AppConfig):
    name = "monetization"

    def ready(self):
        from monetization import services, webhooks
        from socialflow.core import access

        webhooks.connect()
        access.set_membership_provider(services.MembershipProvider())

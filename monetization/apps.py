from django.apps import AppConfig


class MonetizationConfig(AppConfig):
    name = "monetization"

    def ready(self):
        from monetization import webhooks

        webhooks.connect()

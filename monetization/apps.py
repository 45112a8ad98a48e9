from django.apps import AppConfig


class MonetizationConfig(AppConfig):
    name = "monetization"

    def ready(self):
        from monetization import selectors
        from socialflow.core import revenue

        revenue.set_revenue_provider(selectors.revenue_rows)

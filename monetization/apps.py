from django.apps import AppConfig


class MonetizationConfig(AppConfig):
    name = "monetization"

    def ready(self):
        from monetization import selectors, services, webhooks
        from socialflow.core import access, revenue

        webhooks.connect()
        access.set_membership_provider(services.MembershipProvider())
        revenue.set_revenue_provider(selectors.revenue_rows)
        services.set_ad_revenue_source(selectors.ad_revenue_for_share)

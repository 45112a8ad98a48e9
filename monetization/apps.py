from django.apps import AppConfig


class MonetizationConfig(AppConfig):
    name = "monetization"

    def ready(self):
        from monetization import selectors, services, webhooks
        from monetization.plans import services as plan_services
        from socialflow.core import access, quotas, revenue

        webhooks.connect()
        access.set_membership_provider(services.MembershipProvider())
        revenue.set_revenue_provider(selectors.revenue_rows)
        services.set_ad_revenue_source(selectors.ad_revenue_for_share)
        quotas.set_limits_provider(plan_services.PlanLimitsProvider())

from django.apps import AppConfig


class CopyrightConfig(AppConfig):
    name = "copyright"

    def ready(self):
        from copyright import access, handlers, selectors
        from socialflow.core import revenue

        access.register()
        handlers.register()
        revenue.set_claim_share_provider(selectors.ClaimShares())
        revenue.set_analytics_claimant_provider(selectors.is_tracking_claimant)

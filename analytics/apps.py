from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self):
        from analytics import handlers, recommendations, services
        from socialflow.core import recommendations as core_recommendations
        from socialflow.core import tracking

        handlers.register()
        tracking.set_sink(services.raw_events_write)
        core_recommendations.set_provider(recommendations.NeighbourProvider())

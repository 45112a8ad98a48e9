from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self):
        from analytics import handlers, services
        from socialflow.core import tracking

        handlers.register()
        tracking.set_sink(services.raw_events_write)

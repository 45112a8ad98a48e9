from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"

    def ready(self):
        from live import access, selectors, services
        from live.models import ChatMessage
        from socialflow.core import moderation, quotas

        access.register()
        moderation.register(
            ChatMessage, kind="chat_message", owner_field="user", on_change=services.chat_message_moderated
        )
        quotas.set_usage(quotas.LIVE, selectors.quota_live_streams)

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"

    def ready(self):
        from live import access, services
        from live.models import ChatMessage
        from socialflow.core import moderation

        access.register()
        moderation.register(
            ChatMessage, kind="chat_message", owner_field="user", on_change=services.chat_message_moderated
        )

"""All websocket routes; each domain owns its own ``routing.websocket_urlpatterns``."""

from channels.generic.websocket import WebsocketConsumer
from django.urls import re_path

from live.routing import websocket_urlpatterns as live_routes
from notifications.routing import websocket_urlpatterns as notification_routes


class UnknownRouteConsumer(WebsocketConsumer):
    """Any other websocket path: accept, then close with 4404 (Channels would raise a 500)."""

    def connect(self):
        self.accept()
        self.close(code=4404)


websocket_urlpatterns = [*live_routes, *notification_routes, re_path(r"", UnknownRouteConsumer.as_asgi())]

"""All websocket routes; each domain owns its own ``routing.websocket_urlpatterns``."""

from live.routing import websocket_urlpatterns as live_routes
from notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*live_routes, *notification_routes]

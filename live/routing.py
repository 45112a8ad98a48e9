from django.urls import re_path

from live.consumers import LiveChatConsumer

# Any id segment routes here so a malformed one gets a 4404 close, not "No route found" (a 500 handshake).
websocket_urlpatterns = [re_path(r"^ws/live/(?P<stream_id>[^/]+)/chat/?$", LiveChatConsumer.as_asgi())]

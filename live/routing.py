from django.urls import re_path

from live.consumers import LiveChatConsumer

websocket_urlpatterns = [re_path(r"^ws/live/(?P<stream_id>\d+)/chat/?$", LiveChatConsumer.as_asgi())]

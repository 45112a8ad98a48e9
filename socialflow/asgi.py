"""ASGI entry point: HTTP through Django, websockets through Channels (JWT or session auth).

Watch heartbeats (``POST /api/v1/videos/{id}/watch``) meet a lean path first
(``videos.api.heartbeat_app``): it answers the ordinary ones from Redis and passes every other
request, unchanged, on. Anonymous reads of a video and of the video list's first pages meet
another (``videos.api.read_app``), which answers them from their cached rendering when it is
current, and passes the rest, unchanged, to Django (timed by ``socialflow.server_timing`` when ``SERVER_TIMING`` is on).
Ordinary tus PATCHes (``/api/v1/uploads/{id}``) meet another (``videos.api.tus_app``), behind the
body-size limit: their bodies stream straight into the upload instead of being spooled by Django
first."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialflow.settings")
django.setup(set_prefix=False)

from socialflow.asgi_handler import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

# Imported after Django is set up: routing imports consumers, which import models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.api.authentication import user_for_bearer  # noqa: E402
from accounts.websocket_auth import JWTAuthMiddlewareStack  # noqa: E402
from socialflow.body_limit import RequestBodyLimitMiddleware  # noqa: E402
from socialflow.routing import websocket_urlpatterns  # noqa: E402
from socialflow.server_timing import ServerTimingMiddleware  # noqa: E402
from socialflow.unavailable import WebsocketDependencyGuard  # noqa: E402
from socialflow.websocket_origin import BrowserOriginValidator  # noqa: E402
from socialflow.websocket_send import FrameSendScope  # noqa: E402
from videos.api.heartbeat_app import WatchHeartbeatApp  # noqa: E402
from videos.api.read_app import AnonymousReadApp  # noqa: E402
from videos.api.tus_app import TusPatchApp  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WatchHeartbeatApp(
            AnonymousReadApp(
                ServerTimingMiddleware(
                    RequestBodyLimitMiddleware(TusPatchApp(django_asgi_app, authenticate=user_for_bearer))
                )
            ),
            authenticate=user_for_bearer,
        ),
        "websocket": WebsocketDependencyGuard(
            FrameSendScope(BrowserOriginValidator(JWTAuthMiddlewareStack(URLRouter(websocket_urlpatterns))))
        ),
    }
)

"""ASGI entry point: HTTP through Django, websockets through Channels (JWT or session auth).

Watch heartbeats (``POST /api/v1/videos/{id}/watch``) meet a lean path first
(``videos.api.heartbeat_app``): it answers the ordinary ones from Redis and passes every other
request, unchanged, to Django. Ordinary tus PATCHes (``/api/v1/uploads/{id}``) meet another
(``videos.api.tus_app``), behind the body-size limit: their bodies stream straight into the upload
instead of being spooled by Django first."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialflow.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: routing imports consumers, which import models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.api.authentication import user_for_bearer  # noqa: E402
from accounts.websocket_auth import JWTAuthMiddlewareStack  # noqa: E402
from socialflow.body_limit import RequestBodyLimitMiddleware  # noqa: E402
from socialflow.routing import websocket_urlpatterns  # noqa: E402
from socialflow.unavailable import WebsocketDependencyGuard  # noqa: E402
from socialflow.websocket_origin import BrowserOriginValidator  # noqa: E402
from videos.api.heartbeat_app import WatchHeartbeatApp  # noqa: E402
from videos.api.tus_app import TusPatchApp  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WatchHeartbeatApp(
            RequestBodyLimitMiddleware(TusPatchApp(django_asgi_app, authenticate=user_for_bearer)),
            authenticate=user_for_bearer,
        ),
        "websocket": WebsocketDependencyGuard(
            BrowserOriginValidator(JWTAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

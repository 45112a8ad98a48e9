"""ASGI entry point: HTTP through Django, websockets through Channels (JWT or session auth)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialflow.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: routing imports consumers, which import models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.websocket_auth import JWTAuthMiddlewareStack  # noqa: E402
from socialflow.body_limit import RequestBodyLimitMiddleware  # noqa: E402
from socialflow.routing import websocket_urlpatterns  # noqa: E402
from socialflow.unavailable import WebsocketDependencyGuard  # noqa: E402
from socialflow.websocket_origin import BrowserOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimitMiddleware(django_asgi_app),
        "websocket": WebsocketDependencyGuard(
            BrowserOriginValidator(JWTAuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

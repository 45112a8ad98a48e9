"""A dependency that is down (Redis, the broker on it) answers "try again later", never a 500.

HTTP: the API's exception handler maps ``REDIS_DOWN_ERRORS`` to ``Unavailable`` (503 +
``Retry-After`` in the API error format); anything that escapes a DRF view (Studio pages,
middleware) reaches ``socialflow.errors.server_error``, which answers the same 503.

Websockets: ``WebsocketDependencyGuard`` wraps the websocket stack; a consumer that fails on the
channel layer (connect's group_add, a send) is closed with 1013 "try again later" — accepted first
when needed, since a close before accept reaches the client as an HTTP error — instead of the ASGI
server's HTTP 500.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down

logger = logging.getLogger(__name__)

TRY_AGAIN_LATER = 1013
MESSAGE = "A service this request needs is temporarily unavailable; try again shortly."


def is_dependency_down(exc: BaseException | None) -> bool:
    return isinstance(exc, REDIS_DOWN_ERRORS)


def unavailable_response(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE, "code": "service_unavailable"}, status=503)
    else:
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(settings.DEPENDENCY_RETRY_AFTER_S)
    return response


class WebsocketDependencyGuard:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        if redis_marked_down():  # known down right now: do not wait for the layer's timeout
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            return None
        state = {"accepted": False, "closed": False}

        async def tracked_send(message):
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        try:
            return await self.app(scope, receive, tracked_send)
        except REDIS_DOWN_ERRORS as exc:
            logger.warning("websocket %s closed with 1013: %s: %s", scope.get("path"), type(exc).__name__, exc)
            if state["closed"]:
                return None
            if not state["accepted"]:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            return None

"""``Server-Timing: app;dur=<ms>`` on every HTTP response (when ``SERVER_TIMING`` is on).

The time from the ASGI app receiving the request to the response's headers: the thread hop into
Django, middleware, the view and rendering; not uvicorn's parsing or the socket. Benchmarks read
it to report server time apart from the round trip. Off by default: it tells any client how long
the server worked on its request.
"""

import time

from django.conf import settings


class ServerTimingMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not settings.SERVER_TIMING:
            return await self.app(scope, receive, send)
        started = time.perf_counter()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                duration = (time.perf_counter() - started) * 1000
                headers = [*message.get("headers", ()), (b"server-timing", f"app;dur={duration:.3f}".encode())]
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, timed_send)

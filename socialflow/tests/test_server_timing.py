"""``Server-Timing`` on HTTP responses (socialflow.server_timing), only when SERVER_TIMING is on."""

import asyncio
import re

from socialflow.server_timing import ServerTimingMiddleware


async def _app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _call(scope_type="http"):
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    asyncio.run(ServerTimingMiddleware(_app)({"type": scope_type}, receive, send))
    return sent


def test_it_adds_the_app_duration_when_on(settings):
    settings.SERVER_TIMING = True
    start, body = _call()
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"text/plain"
    assert re.fullmatch(rb"app;dur=\d+\.\d{3}", headers[b"server-timing"])
    assert body == {"type": "http.response.body", "body": b"ok"}


def test_it_leaves_responses_alone_when_off(settings):
    settings.SERVER_TIMING = False
    start, _ = _call()
    assert b"server-timing" not in dict(start["headers"])

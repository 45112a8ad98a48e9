import json

import pytest
from django.test import override_settings

from socialflow.body_limit import RequestBodyLimitMiddleware, body_limit_for


async def _call(app, path: str, headers: list[tuple[bytes, bytes]]):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    await app(scope, receive, send)
    return sent


class _Downstream:
    def __init__(self):
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True


@override_settings(REQUEST_MAX_BODY_BYTES=100, REQUEST_BODY_LIMITS=[("/api/v1/uploads", 1000)])
def test_it_picks_the_longest_matching_prefix():
    assert body_limit_for("/api/v1/posts") == 100
    assert body_limit_for("/api/v1/uploads/abc") == 1000


@pytest.mark.asyncio
@override_settings(REQUEST_MAX_BODY_BYTES=100, REQUEST_BODY_LIMITS=[("/api/v1/uploads", 1000)])
async def test_it_refuses_a_declared_oversized_body_before_reading_it():
    downstream = _Downstream()
    sent = await _call(RequestBodyLimitMiddleware(downstream), "/api/v1/posts", [(b"content-length", b"101")])
    assert not downstream.called
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "too_large"


@pytest.mark.asyncio
@override_settings(REQUEST_MAX_BODY_BYTES=100, REQUEST_BODY_LIMITS=[("/api/v1/uploads", 1000)])
async def test_it_lets_bodies_within_the_path_limit_through():
    downstream = _Downstream()
    await _call(RequestBodyLimitMiddleware(downstream), "/api/v1/uploads/x", [(b"content-length", b"1000")])
    assert downstream.called


@pytest.mark.asyncio
async def test_it_answers_400_for_a_malformed_content_length():
    downstream = _Downstream()
    sent = await _call(RequestBodyLimitMiddleware(downstream), "/api/v1/posts", [(b"content-length", b"12abc")])
    assert not downstream.called
    assert sent[0]["status"] == 400


@pytest.mark.asyncio
async def test_it_passes_requests_without_a_declared_length():
    downstream = _Downstream()
    await _call(RequestBodyLimitMiddleware(downstream), "/api/v1/posts", [])
    assert downstream.called

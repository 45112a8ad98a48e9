"""Refuse oversized request bodies before anything reads them.

Under ASGI, Django reads (and spools to disk) the whole body before a view runs, so a view's own
size check comes after the bytes are stored. This middleware answers 413 from the declared
``Content-Length`` alone. Limits: ``REQUEST_BODY_LIMITS`` (longest matching path prefix wins), else
``REQUEST_MAX_BODY_BYTES``.
"""

import json

from django.conf import settings


def body_limit_for(path: str) -> int:
    best_prefix, limit = "", settings.REQUEST_MAX_BODY_BYTES
    for prefix, prefix_limit in settings.REQUEST_BODY_LIMITS:
        if path.startswith(prefix) and len(prefix) > len(best_prefix):
            best_prefix, limit = prefix, prefix_limit
    return limit


class RequestBodyLimitMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            declared = dict(scope.get("headers") or []).get(b"content-length")
            if declared is not None:
                if not declared.isdigit():
                    return await _refuse(send, 400, "Content-Length is not a number.", "invalid_content_length")
                limit = body_limit_for(scope["path"])
                if int(declared) > limit:
                    return await _refuse(
                        send, 413, f"The request body is larger than the {limit} bytes allowed here.", "too_large"
                    )
        return await self.app(scope, receive, send)


async def _refuse(send, status: int, detail: str, code: str) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""The lean path for tus PATCH (``/api/v1/uploads/{id}``): the body written straight into the upload.

Under ASGI, Django reads a request's whole body into a ``SpooledTemporaryFile`` before any view
runs: past ``FILE_UPLOAD_MAX_MEMORY_SIZE`` every 8 MiB chunk was written to a temporary file, read
back and written again into the upload. ``socialflow.asgi`` mounts :class:`TusPatchApp` in front of
Django (behind ``RequestBodyLimitMiddleware``, so the declared size is checked first). It takes the
ordinary PATCH of a local-mode upload — a Bearer token that simplejwt's own classes accept, the
tus headers right, the offset the upload's — and runs the view's service in three steps:
``upload_append_start`` in a worker thread (token, upload, throttles, the flock and the offset
check), then each body message as it arrives is written to the upload file on the event loop
(where Django itself writes its spool), then ``upload_append_finish`` in a worker thread
(``fdatasync``, the offset's compare-and-swap, completion). Everything else goes to Django
unchanged with its body unread (session cookies, missing or bad headers, a refused token, someone
else's upload, a wrong offset, a body past ``Upload-Length``, S3 mode, a throttled user), so
those errors stay Django's own answers.

A client that disconnects mid-body leaves the acknowledged offset where it was (as under Django,
which drops a request whose body did not arrive whole); the next PATCH truncates the stray bytes.
"""

from __future__ import annotations

import logging
import re

import orjson
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.http import http_date
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from socialflow.core.exceptions import Conflict, NotFound
from videos import selectors, services, storage
from videos.api import lean, tus

logger = logging.getLogger(__name__)

PATCH_PATH = re.compile(r"/api/v1/uploads/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?")
HEADERS = (b"authorization", b"content-type", b"content-length", b"upload-offset", b"tus-resumable", b"host")
HANDOVER = object()  # the worker's answer when Django must take the request (body untouched)


class _Throttled(Exception):
    pass


def _throttle_request(user, scope, headers: dict[bytes, bytes]):
    """What DRF's throttles read of a request: the user and the client address headers."""
    client = scope.get("client")
    meta = {"REMOTE_ADDR": client[0] if client else ""}
    forwarded = headers.get(b"x-forwarded-for")
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded.decode("latin-1")
    return type("ThrottleRequest", (), {"user": user, "META": meta})()


def _check_throttles(user, scope, headers) -> None:
    """The view's own throttles (same classes, cache and history as the Django path). A refusal is
    not recorded, so Django, handed the request, refuses it again with its own 429."""
    view = tus.UploadDetailView()
    request = _throttle_request(user, scope, headers)
    for throttle in view.get_throttles():
        if not throttle.allow_request(request, view):
            raise _Throttled


def _start_in_thread(*, authenticate, token: str, upload_id: str, offset: int, length: int, scope, headers):
    """Worker thread: ``(user, LocalAppend)`` when the lean path takes the request, else ``HANDOVER``
    (nothing of the body read yet: Django answers, refusals and races included)."""
    found = authenticate(token)
    if found is None:
        return HANDOVER
    user = found[0]
    try:
        upload = selectors.upload_get_own(upload_id=upload_id, user=user)
    except NotFound:
        return HANDOVER
    if upload.completed_at is not None or upload.s3_upload_id or offset != upload.offset:
        return HANDOVER
    if offset + length > upload.length:
        return HANDOVER
    try:
        _check_throttles(user, scope, headers)
    except _Throttled:
        return HANDOVER
    try:
        return user, services.upload_append_start(upload=upload, offset=offset, content_length=length)
    except Conflict:
        return HANDOVER


def _finish_in_thread(*, user, append: services.LocalAppend, upload_id: str):
    """Worker thread: ``(status, upload, conflict)`` once the bytes are durable and the offset moved."""
    try:
        return 204, services.upload_append_finish(append=append), None
    except Conflict as exc:
        try:
            upload = selectors.upload_get_own(upload_id=upload_id, user=user)
        except NotFound:
            upload = None
        return 409, upload, exc


class _Request(lean.LeanRequest):
    relevant = HEADERS

    def lean(self) -> tuple[str, int, int] | None:
        """``(token, offset, content length)`` for a PATCH the lean path answers exactly as Django
        would (the same rules as the heartbeat path for hosts, cookies and redirects), else ``None``."""
        if self.repeated or self.redirect_due():
            return None
        if self.header(b"tus-resumable") != tus.TUS_VERSION:
            return None
        if (self.header(b"content-type") or "").split(";")[0].strip().lower() != tus.OFFSET_CONTENT_TYPE:
            return None
        offset = (self.header(b"upload-offset") or "").strip()
        length = self.header(b"content-length") or ""
        if not (offset.isascii() and offset.isdigit() and length.isascii() and length.isdigit()):
            return None
        if not lean.answered_plainly(self):
            return None
        parts = (self.headers.get(b"authorization") or b"").split()
        if len(parts) != 2 or parts[0].decode("latin-1") not in jwt_settings.AUTH_HEADER_TYPES:
            return None
        return parts[1].decode("latin-1"), int(offset), int(length)


def _response_headers(request: _Request, upload, *, json_body: bool) -> list[tuple[bytes, bytes]]:
    """What the tus view and Django's middleware put on a PATCH answer, in the same order."""
    headers = [(b"content-type", b"application/json")] if json_body else []
    headers += [
        (b"tus-resumable", tus.TUS_VERSION.encode()),
        (b"cache-control", b"no-store"),
        (b"access-control-expose-headers", tus.EXPOSE.encode()),
    ]
    if upload is not None:
        headers += [(b"upload-offset", str(upload.offset).encode()), (b"upload-length", str(upload.length).encode())]
        if upload.completed_at is None:
            headers.append((b"upload-expires", http_date(upload.expires_at.timestamp()).encode()))
        if upload.video_id:
            headers.append((b"video-id", str(upload.video_id).encode()))
    return headers + lean.middleware_headers(request, allow=b"GET, PATCH, DELETE, HEAD, OPTIONS")


async def _server_error(request: _Request, send) -> None:
    """What ``socialflow.errors.server_error`` answers an API request."""
    content = orjson.dumps({"detail": "A server error occurred.", "code": "server_error"})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class TusPatchApp:
    """ASGI middleware: ordinary tus PATCHes written straight into the upload, everything else passed to ``app``.

    ``authenticate(raw_token)`` returns ``(user, expires_at)`` for a token it accepts, else ``None``
    (the wiring passes ``accounts.api.authentication.user_for_bearer``)."""

    def __init__(self, app, *, authenticate):
        self.app = app
        # Not thread-sensitive: fdatasync and the database calls stay off the thread Django's sync views share.
        self._start = database_sync_to_async(_start_in_thread, thread_sensitive=False)
        self._finish = database_sync_to_async(_finish_in_thread, thread_sensitive=False)
        self._authenticate = authenticate

    async def __call__(self, scope, receive, send):
        match = None
        if scope["type"] == "http" and scope["method"] == "PATCH" and not scope.get("query_string"):
            match = PATCH_PATH.fullmatch(scope["path"])
        if match is None or not settings.VIDEO_UPLOAD_LEAN or not storage.is_local():
            return await self.app(scope, receive, send)
        request = _Request(scope)
        plain = request.lean()
        if plain is None:
            return await self.app(scope, receive, send)
        token, offset, length = plain
        upload_id = match[1]
        try:
            started = await self._start(
                authenticate=self._authenticate,
                token=token,
                upload_id=upload_id,
                offset=offset,
                length=length,
                scope=scope,
                headers=request.headers,
            )
        except Exception:  # e.g. the database away: Django, given the untouched request, answers it
            logger.exception("tus PATCH %s: the lean path could not start", upload_id)
            started = HANDOVER
        if started is HANDOVER:
            return await self.app(scope, receive, send)
        user, append = started
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    append.abort()  # the client left mid-body: nothing is acknowledged
                    return None
                append.write(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except Exception:
            append.abort()
            logger.exception("tus PATCH %s: writing the body failed", upload_id)
            return await _server_error(request, send)
        except BaseException:  # cancelled: the lock goes with the file
            append.abort()
            raise
        try:
            status, upload, conflict = await self._finish(user=user, append=append, upload_id=upload_id)
        except Exception:
            logger.exception("tus PATCH %s: finishing the append failed", upload_id)
            return await _server_error(request, send)
        content = b""
        if conflict is not None:
            content = orjson.dumps({"detail": conflict.message, "code": conflict.code})
        headers = _response_headers(request, upload, json_body=bool(content))
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        return None

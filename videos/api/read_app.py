"""The lean path for anonymous reads: ``GET /api/v1/videos/{id}`` and ``GET /api/v1/videos``
(``?page=`` of the first pages) answered ahead of Django from their rendered bytes.

``VideoViewSet`` files the rendered answer an anonymous reader gets in the hydration cache
(``socialflow.api.anonymous_cache``), stale the moment any write to what it shows bumps its
generation. This ASGI app reads it with the ``anon`` throttle's count in one Redis round trip on
the loop's batching client (``socialflow.redis_batch``), without a thread, and answers a current
entry itself: the stored bytes with the headers DRF and Django's middleware put on them
(``videos.api.lean``). Everything else goes to Django unchanged: a signed-in or session request,
another ``Accept``, other query parameters, a miss (Django renders and files it), a reader over
the limit (DRF answers the 429), Redis down. The count it took travels in the ASGI scope, so
Django's throttle does not count the request twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import parse_qsl

import redis
from django.conf import settings
from django.core.cache import caches

from socialflow.api import anonymous_cache
from socialflow.api.throttling import COUNTED_ATTR
from socialflow.cache import WINDOW_HIT_SCRIPT
from socialflow.core import territory
from socialflow.hydration import hydration_current
from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down
from socialflow.redis_batch import BatchingRedis, pack
from videos.api import lean, representations

logger = logging.getLogger(__name__)

DETAIL_PATH = re.compile(r"/api/v1/videos/([0-9]{1,19})/?")
LIST_PATH = re.compile(r"/api/v1/videos/?")


class _Request(lean.LeanRequest):
    relevant = (b"authorization", b"accept", b"cookie", b"host", b"x-forwarded-for", b"x-forwarded-proto")

    @property
    def location(self) -> str:
        """The URL without its query, as Django's ``build_absolute_uri(request.path)`` writes it."""
        return f"{self.scheme}://{self.header(b'host')}{self.scope.get('root_path', '')}{self.scope['path']}"


class _IdentRequest:
    """What DRF's ``get_ident`` reads of a request: ``headers`` and ``META["REMOTE_ADDR"]``."""

    def __init__(self, request: _Request):
        forwarded = request.header(b"x-forwarded-for")
        self.headers = {} if forwarded is None else {"x-forwarded-for": forwarded}
        client = request.scope.get("client")
        self.META = {"REMOTE_ADDR": client[0] if client else None}


class AnonymousReadApp:
    """ASGI middleware: current rendered anonymous reads answered from Redis, the rest to ``app``."""

    def __init__(self, app):
        self.app = app
        self._caches_config = self._cache = None
        self._country_header = settings.VIEWER_COUNTRY_HEADER.lower().encode()

    def _default_cache(self):
        """The default cache's backend, for ``make_key`` and ``decode`` only (no I/O through it
        here): kept while ``settings.CACHES`` is the same object (a test may swap it), since
        ``caches[...]`` makes a new backend per task in async code."""
        if settings.CACHES is not self._caches_config:
            self._caches_config, self._cache = settings.CACHES, caches["default"]
        return self._cache

    async def __call__(self, scope, receive, send):
        slot = None
        if scope["type"] == "http" and scope["method"] == "GET" and settings.VIDEO_READS_LEAN:
            slot = self._slot(scope)
        if slot is None:
            return await self.app(scope, receive, send)
        request, slot = slot
        answer = await self._answer(request, slot, scope)
        if answer is None:
            return await self.app(scope, receive, send)
        content_type, allow, body = answer
        headers = [(b"content-type", content_type.encode("latin-1"))]
        headers += lean.middleware_headers(request, allow=allow.encode("latin-1"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None

    def _slot(self, scope) -> tuple[_Request, anonymous_cache.Slot] | None:
        """The slot this request reads, if the lean path may answer it at all."""
        path = scope["path"]
        detail = DETAIL_PATH.fullmatch(path)
        if detail is None and LIST_PATH.fullmatch(path) is None:
            return None
        request = _Request(scope)
        if request.repeated or request.redirect_due() or b"authorization" in request.headers:
            return None
        if not lean.answered_plainly(request):
            return None
        query = scope.get("query_string") or b""
        if detail is not None:
            if query:
                return None
            slot = representations.anonymous_detail_slot(pk=detail[1], location=request.location)
        else:
            try:
                params = parse_qsl(query.decode("ascii"), keep_blank_values=True, strict_parsing=bool(query))
            except (UnicodeDecodeError, ValueError):
                return None
            if any(name != "page" for name, _ in params) or len(params) > 1:
                return None
            if sum(1 for name, _ in scope.get("headers") or () if name == self._country_header) > 1:
                return None  # Django reads the values joined (no country); leave it to Django
            country = territory.normalise(request.header(self._country_header))
            page = params[0][1] if params else "1"
            slot = representations.anonymous_list_slot(page=page, location=request.location, country=country)
        return None if slot is None else (request, slot)

    async def _answer(self, request: _Request, slot, scope) -> tuple[str, str, bytes] | None:
        """``(content type, Allow, body)`` of a current entry under the limit, else ``None``."""
        client = BatchingRedis.for_loop(asyncio.get_running_loop())
        if client is None or redis_marked_down():
            return None
        window = anonymous_cache.AnonWindow.of(_IdentRequest(request))
        cache = self._default_cache()
        keys = anonymous_cache.read_keys(cache, slot)
        try:
            count, found = await client.call_script(
                WINDOW_HIT_SCRIPT,
                anonymous_cache.WINDOW_HIT_SHA,
                1,
                cache.make_key(window.key),
                window.window_s + 1,
                then=[pack(b"MGET", *keys)],
            )
        except REDIS_DOWN_ERRORS as exc:
            client.trip(exc)
            logger.warning("anonymous read goes through Django: redis unavailable (%s)", exc)
            return None
        refused = next((reply for reply in (count, found) if isinstance(reply, redis.RedisError)), None)
        if refused is not None:  # e.g. out of memory, a read-only replica: Django's path works
            logger.warning("anonymous read goes through Django: redis refused (%s)", refused)
            return None
        scope[COUNTED_ATTR] = {window.key: int(count)}  # Django's throttle reads it: counted once
        if int(count) > window.limit:
            return None  # DRF answers the 429
        entry, generation = anonymous_cache.decode_read(cache, *found)
        return hydration_current(entry, generation)

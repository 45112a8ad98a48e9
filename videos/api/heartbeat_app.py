"""The lean path for watch heartbeats: ``POST /api/v1/videos/{id}/watch`` answered ahead of Django.

``socialflow.asgi`` mounts :class:`WatchHeartbeatApp` in front of the Django application. It
answers the ordinary heartbeat itself — an anonymous or Bearer-token viewer, a JSON body of the
right shape, a video the viewer may see, a session ``view_start`` opened — with one Redis script
call (``videos.heartbeats``), and hands every other request to Django unchanged, body included:
bad input, refused tokens, session cookies, unknown sessions, Redis down or its breaker open.
Django's answers for those are the contract, so errors stay byte-for-byte what they were, and no
heartbeat is lost while Redis is away (Django writes it to the database).

What it reuses, and for how long (``VIDEO_HEARTBEAT_ACCESS_TTL_S``, in process memory):

- the token: ``accounts``' ``user_for_bearer`` (simplejwt's own token classes and settings),
  per token string, until the token expires or the TTL passes — a ban or a password change takes
  up to the TTL to reach this path;
- the video: ``videos.selectors.video_get_visible`` (the access layer with every rule), per
  (video, user, country) — a video made private or blocked is refused after at most the TTL;
- the throttle: DRF's ``anon``/``user`` rates, per IP or user as DRF keys them, counted in Redis
  by fixed windows inside the heartbeat's own script. It is a budget of its own: these requests
  are not in the windows DRF's throttles count for the other endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import uuid
from itertools import islice

import orjson
import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.settings import api_settings as drf_settings
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from socialflow.core import jsonsafe, territory
from socialflow.core.exceptions import NotFound
from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down
from videos import heartbeats, selectors, services
from videos.api import lean
from videos.lib.viewers import viewer_key_for
from videos.services.views import WATCH_GRACE_MS, WATCH_SPEED_SLACK

logger = logging.getLogger(__name__)

WATCH_PATH = re.compile(r"/api/v1/videos/([0-9]{1,18})/watch/?")
MAX_BODY_BYTES = 4096
MAX_INT = 10**10  # WatchSerializer's bounds
RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_GONE = object()  # the client disconnected while sending its body


class _Expiring:
    """A bounded in-process map whose entries expire (the oldest tenth goes when it is full)."""

    def __init__(self, size: int = 50_000):
        self.size = size
        self.items: dict = {}

    def get(self, key, now: float):
        item = self.items.get(key)
        if item is None:
            return None
        if item[0] <= now:
            self.items.pop(key, None)
            return None
        return item[1]

    def put(self, key, value, until: float) -> None:
        if len(self.items) >= self.size:
            for old in list(islice(self.items, self.size // 10 or 1)):
                self.items.pop(old, None)
        self.items[key] = (until, value)


def _parse_rate(rate: str | None) -> tuple[int, int] | None:
    """DRF's rate syntax (``"6000/min"``): requests and period in seconds."""
    if not rate:
        return None
    num, period = rate.split("/")
    return int(num), RATE_PERIODS[period[0]]


def _heartbeat_input(body: bytes) -> tuple[str, int, int] | None:
    """``(view_id, position_ms, watched_ms)`` when the body is plainly valid, else ``None`` (Django
    then answers, with its own parse or validation error for whatever is wrong)."""
    try:
        data = jsonsafe.loads(body)
    except jsonsafe.JSONError:
        return None
    if not isinstance(data, dict):
        return None
    view_id, position, watched = data.get("view_id"), data.get("position_ms"), data.get("watched_ms")
    if not isinstance(view_id, str) or type(position) is not int or type(watched) is not int:
        return None
    if not (0 <= position <= MAX_INT and 0 <= watched <= MAX_INT):
        return None
    try:
        return str(uuid.UUID(hex=view_id)), position, watched
    except ValueError:
        return None


def _visible_video(video_id: int, user, country: str | None):
    """The video if the viewer may see it (the access layer, rules included), else ``None``."""
    token = territory.set_viewer_country(country)
    try:
        return selectors.video_get_visible(video_id=video_id, viewer=user or AnonymousUser())
    except NotFound:
        return None
    finally:
        territory.reset_viewer_country(token)


class _Request(lean.LeanRequest):
    relevant = (b"authorization", b"content-type", b"accept", b"cookie", b"host", b"content-length")

    def plain(self) -> bool:
        """A request the lean path may answer exactly as Django would: JSON in and out, an allowed
        host, no session cookie (session auth and its CSRF check stay Django's), no redirect due."""
        if self.repeated or self.redirect_due():
            return False
        content_type = (self.header(b"content-type") or "").split(";")
        if content_type[0].strip().lower() != "application/json":
            return False
        for param in content_type[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() != "charset" or value.strip().strip('"').lower() not in ("utf-8", "utf8"):
                return False
        return lean.answered_plainly(self)

    def bearer(self) -> str | None | bool:
        """The Bearer token; ``None`` without an Authorization header; ``False`` for any other
        scheme or shape (Django decides what those mean)."""
        value = self.headers.get(b"authorization")
        if value is None:
            return None
        parts = value.split()
        if len(parts) != 2 or parts[0].decode("latin-1") not in jwt_settings.AUTH_HEADER_TYPES:
            return False
        return parts[1].decode("latin-1")


async def _read_body(request: _Request, receive):
    """The whole body when it is declared and small; ``None`` (nothing read) otherwise."""
    declared = request.headers.get(b"content-length")
    if declared is None or not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return None
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _GONE
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body


def _replay(body: bytes, receive):
    """A ``receive`` that yields the body already read, then the client's later messages."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay():
        if pending:
            return pending.pop()
        return await receive()

    return replay


class WatchHeartbeatApp:
    """ASGI middleware: heartbeats answered from Redis, everything else passed to ``app``.

    ``authenticate(raw_token)`` returns ``(user, expires_at)`` for a token it accepts, else
    ``None`` (the wiring passes ``accounts.api.authentication.user_for_bearer``)."""

    def __init__(self, app, *, authenticate):
        self.app = app
        self._authenticate = database_sync_to_async(authenticate)
        self._visible_video = database_sync_to_async(_visible_video)
        self._count = database_sync_to_async(services.view_count_crossed)
        self._users = _Expiring()
        self._videos = _Expiring()

    async def __call__(self, scope, receive, send):
        match = None
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("query_string"):
            match = WATCH_PATH.fullmatch(scope["path"])
        if match is None or not settings.VIDEO_HEARTBEAT_LEAN:
            return await self.app(scope, receive, send)
        request = _Request(scope)
        body = await _read_body(request, receive) if request.plain() else None
        if body is _GONE:
            return None
        answer = None
        if body is not None:
            answer = await self._answer(request, int(match[1]), body)
        if answer is None:
            return await self.app(scope, receive if body is None else _replay(body, receive), send)
        status, payload, extra = answer
        content = orjson.dumps(payload)  # what DRF's JSONRenderer writes for these flat bodies
        headers = [
            (b"content-type", b"application/json"),
            *extra,
            *lean.middleware_headers(request, allow=b"POST, OPTIONS"),
        ]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        return None

    async def _user(self, token, now: float):
        """The signed-in user, ``None`` for anonymous, ``False`` when Django must decide."""
        if token is None:
            return None
        if token is False:
            return False
        user = self._users.get(token, now)
        if user is None:
            found = await self._authenticate(token)
            if found is None:
                return False
            user, expires_at = found
            self._users.put(token, user, min(float(expires_at), now + settings.VIDEO_HEARTBEAT_ACCESS_TTL_S))
        return user

    async def _video(self, video_id: int, user, request: _Request, now: float):
        country_header = getattr(settings, "VIEWER_COUNTRY_HEADER", "CF-IPCountry").lower().encode()
        country = territory.normalise(request.header(country_header))
        key = (video_id, user.pk if user else None, country)
        video = self._videos.get(key, now)
        if video is None:
            video = await self._visible_video(video_id, user, country)
            if video is not None:
                self._videos.put(key, video, now + settings.VIDEO_HEARTBEAT_ACCESS_TTL_S)
        return video

    async def _answer(self, request: _Request, video_id: int, body: bytes):
        """``(status, payload, headers)``, or ``None`` to let Django answer."""
        now = time.time()
        user = await self._user(request.bearer(), now)
        if user is False:
            return None
        store = heartbeats.AsyncStore.for_loop(asyncio.get_running_loop())
        if store is None or redis_marked_down():
            return None
        video = await self._video(video_id, user, request, now)
        if video is None:
            return None
        data = _heartbeat_input(body)
        if data is None:
            return None
        view_id, position_ms, watched_ms = data
        if video.duration_ms:
            position_ms = min(position_ms, video.duration_ms)
        client = request.scope.get("client")
        ip = client[0] if client else ""
        viewer_key = viewer_key_for(user=user, ip=ip, user_agent=request.header(b"user-agent") or "")
        throttle = _parse_rate(drf_settings.DEFAULT_THROTTLE_RATES.get("user" if user else "anon"))
        limit, period = throttle or (2**62, 86400)
        window = int(now // period)
        ident = f"user:{user.pk}" if user else f"anon:{ip}"
        record_prefix = (
            f'{{"kind":"heartbeat","at":"{timezone.now().isoformat()}","view_id":"{view_id}",'
            f'"video_id":{video.pk},"channel_id":{video.author_id},"position_ms":{position_ms},'
            f'"duration_ms":{int(video.duration_ms or 0)},"watched_total":'
        )
        try:
            result = await store.heartbeat(
                view_id=view_id,
                video_id=video.pk,
                viewer_key=viewer_key,
                now_ms=int(now * 1000),
                watched_ms=watched_ms,
                record_prefix=record_prefix,
                throttle_key=f"{ident}:{window}",
                throttle_limit=limit,
                throttle_window_s=period,
                speed_slack=WATCH_SPEED_SLACK,
                grace_ms=WATCH_GRACE_MS,
            )
        except REDIS_DOWN_ERRORS as exc:
            store.trip(exc)
            logger.warning("heartbeat for view %s goes through Django: redis unavailable (%s)", view_id, exc)
            return None
        except redis.RedisError as exc:  # e.g. out of memory, read-only replica: Django's path works
            logger.warning("heartbeat for view %s goes through Django: redis refused (%s)", view_id, exc)
            return None
        if result.outcome == "throttled":
            wait = math.ceil((window + 1) * period - now)
            unit = "second" if wait == 1 else "seconds"
            detail = f"Request was throttled. Expected available in {wait} {unit}."
            return 429, {"detail": detail, "code": "throttled"}, [(b"retry-after", str(max(1, wait)).encode())]
        if result.outcome != "recorded":
            return None  # no session here (Django has the row), or not this viewer's: Django's 404
        counted = result.counted_state == heartbeats.COUNTED
        if result.due:
            counted = await self._count(view_id=view_id, video=video)
            try:
                await store.decided(view_id=view_id, counted=counted)
            except redis.RedisError as exc:  # the next heartbeat asks again: harmless
                logger.warning("view %s counting decision not kept in redis (%s)", view_id, exc)
        return 200, {"view_id": view_id, "watched_ms": result.watched_ms, "counted": counted}, []

"""Rendered answers for anonymous readers, given ahead of DRF's dispatch.

A viewset that serves the same bytes to every anonymous reader of something (a public video, the
first pages of the video list) files the rendered response in the hydration cache as a *variant*
of what it shows (``socialflow.hydration``): stale the moment any write to those rows bumps their
generation, so a hit is as current as the database. The next anonymous ``GET`` is answered from
one Redis round trip — the ``anon`` throttle's count and the entry with its generation, in one
pipeline — without DRF's request wrapping, authentication, negotiation or rendering: a cached
answer costs what a plain Django view returning bytes costs, plus that round trip.

Only what DRF would answer exactly the same way is taken: ``GET`` (not ``HEAD``) with a JSON (or
any) ``Accept``, no ``Authorization`` header and no session cookie (a signed-in reader is DRF's,
whatever the cache holds), from a viewset whose throttles are the default ``anon``/``user`` ones.
The throttle keeps counting: the count is DRF's ``anon`` key and window, taken once — DRF's
throttle reads it from the request instead of counting again on a miss
(``FixedWindowThrottle``), and a reader over the limit is left to DRF, which answers the 429.

Usage, in a viewset's ``dispatch`` (``videos.api.views.VideoViewSet``)::

    found = anonymous_cache.lookup(request, slot)  # slot: Slot(kind, pk, variant)
    if found.response is not None:
        return found.response  # plus the view's Allow/Vary, as DRF's finalize_response sets them
    response = super().dispatch(request, *args, **kwargs)
    anonymous_cache.store(found, response, ttl_s=...)  # only what the view marked shareable

A lean ASGI path may answer the same slots ahead of Django (``videos.api.read_app``) with the
pieces below (``AnonWindow``, ``read_keys``, ``decode_read``); what it passes on arrives here with
its count in the ASGI scope.

Redis down: every request is DRF's, as without this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from redis.exceptions import NoScriptError

from socialflow.api.throttling import COUNTED_ATTR, AnonRateThrottle, UserRateThrottle, counted_hits
from socialflow.cache import WINDOW_HIT_SCRIPT
from socialflow.hydration import hydration_keys, hydration_sort, hydration_store
from socialflow.redis import REDIS_DOWN_ERRORS, redis_marked_down
from socialflow.redis_batch import script_sha

PLAIN_ACCEPT = ("*/*", "application/*", "application/json")
DEFAULT_THROTTLES = [AnonRateThrottle, UserRateThrottle]

# Set on the response a view may share with every anonymous reader of the slot.
SHAREABLE_ATTR = "anonymous_shareable"


def accepts_plain_json(accept: str | None) -> bool:
    """No ``Accept``, or only JSON or wildcards: what DRF answers with its JSON renderer."""
    return accept is None or all(part.strip() in PLAIN_ACCEPT for part in accept.split(","))


@dataclass(frozen=True)
class Slot:
    """What a rendered answer is filed under: a hydration entry's kind and id, and the variant
    that names this rendering of it (everything the bytes depend on besides the rows)."""

    kind: str
    pk: int
    variant: str


@dataclass
class Lookup:
    slot: Slot | None = None
    response: HttpResponse | None = None
    token: str | None = None  # the generation a fresh answer is filed under, read before the database


def eligible(request, view) -> bool:
    """Would DRF answer this request the same way for every anonymous reader?"""
    return (
        request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and accepts_plain_json(request.META.get("HTTP_ACCEPT"))
        and list(view.throttle_classes) == DEFAULT_THROTTLES
    )


@dataclass(frozen=True)
class AnonWindow:
    """The ``anon`` throttle's current window for a client: DRF's key (before ``make_key``) with
    the window number, the limit and the window's length."""

    key: str
    limit: int
    window_s: int

    @classmethod
    def of(cls, request) -> AnonWindow:
        """``request``: anything DRF's ``get_ident`` reads (``META["REMOTE_ADDR"]``, ``headers``)."""
        throttle = AnonRateThrottle()
        ident = throttle.cache_format % {"scope": throttle.scope, "ident": throttle.get_ident(request)}
        return cls(
            key=f"{ident}:{int(time.time() // throttle.duration)}",
            limit=throttle.num_requests,
            window_s=throttle.duration,
        )


WINDOW_HIT_SHA = script_sha(WINDOW_HIT_SCRIPT)


def read_keys(cache, slot: Slot) -> list[str]:
    """The slot's entry and generation keys, as stored (``make_key`` applied)."""
    return [cache.make_key(key) for key in hydration_keys(kind=slot.kind, pk=slot.pk, variant=slot.variant)]


def decode_read(cache, entry, generation) -> tuple[tuple | None, str | None]:
    """The raw ``MGET`` replies of :func:`read_keys`, decoded: ``(entry, generation)``."""
    return (
        cache.client.decode(entry) if entry is not None else None,
        cache.client.decode(generation) if generation is not None else None,
    )


def _read(client, window: AnonWindow, counted: int | None, keys: list[str]) -> tuple[int, list]:
    """The window's count and the raw ``[entry, generation]``, in one round trip (just the read
    when the count was taken already). The script by its digest (redis-py's ``Script`` in a
    pipeline would ask ``SCRIPT EXISTS`` first: a second round trip every time), loaded once when
    Redis does not know it (first use, or a restarted Redis)."""
    if counted is not None:
        return counted, client.mget(keys)
    cache = caches["default"]
    for attempt in (1, 2):
        pipe = client.pipeline(transaction=False)
        pipe.evalsha(WINDOW_HIT_SHA, 1, cache.make_key(window.key), window.window_s + 1)
        pipe.mget(keys)
        try:
            count, found = pipe.execute()
            return int(count), found
        except NoScriptError:
            if attempt == 2:
                raise
            client.script_load(WINDOW_HIT_SCRIPT)


def lookup(request, slot: Slot) -> Lookup:
    """Count the request on the ``anon`` throttle (unless a lean path counted it) and read the
    slot, in one pipeline. A hit under the limit comes back as ``response`` (200, the stored bytes
    and content type); otherwise the token to file a fresh answer under (``None``: do not file)."""
    if redis_marked_down():
        return Lookup()
    window = AnonWindow.of(request)
    cache = caches["default"]
    try:
        count, (entry, generation) = _read(
            cache.client.get_client(write=True), window, counted_hits(request).get(window.key), read_keys(cache, slot)
        )
        setattr(request, COUNTED_ATTR, {window.key: count})
        if count > window.limit:
            return Lookup()  # DRF answers the 429 (from this count)
        entry, generation = decode_read(cache, entry, generation)
        hits, tokens = hydration_sort(
            kind=slot.kind, ids=[slot.pk], entries={slot.pk: entry}, generations={slot.pk: generation}
        )
    except REDIS_DOWN_ERRORS:
        return Lookup()  # DRF's path, which logs the outage and counts locally
    if slot.pk in hits:
        content_type, _allow, body = hits[slot.pk]
        return Lookup(slot=slot, response=HttpResponse(body, content_type=content_type))
    return Lookup(slot=slot, token=tokens.get(slot.pk))


def store(found: Lookup, response, *, ttl_s: int | None = None) -> None:
    """File ``response`` (rendered here if it is not yet) for the slot ``found`` missed, if the
    view marked it shareable and it is a 200: its content type, ``Allow`` and bytes."""
    if found.token is None or response.status_code != 200 or not getattr(response, SHAREABLE_ATTR, False):
        return
    if hasattr(response, "render"):
        response.render()
    hydration_store(
        kind=found.slot.kind,
        payloads={found.slot.pk: (response["Content-Type"], response.get("Allow", ""), response.content)},
        tokens={found.slot.pk: found.token},
        variant=found.slot.variant,
        ttl_s=ttl_s,
    )

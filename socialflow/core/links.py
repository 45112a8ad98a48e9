"""Public links: the one place that knows the shape of a shareable URL, and the oEmbed registry.

Public pages (``videos.public``: a watch page and a channel page; ``posts.public``: a post
permalink) are mounted at these paths; notifications, emails and oEmbed build links with these
helpers rather than with a domain app's URL names. A content app registers an oEmbed resolver for
its kind with :func:`register_oembed` from its ``ready()``; ``socialflow.public.oembed`` answers
``/oembed?url=…`` through the registry.

This module imports no domain app.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings


def video_path(video_id) -> str:
    return f"/v/{int(video_id)}/"


def video_embed_path(video_id) -> str:
    return f"/v/{int(video_id)}/embed/"


def post_path(post_id) -> str:
    return f"/p/{int(post_id)}/"


def channel_path(username: str) -> str:
    return f"/c/{username}/"


def absolute(path_or_url: str) -> str:
    if path_or_url.startswith(("http://", "https://")):
        return path_or_url
    return f"{settings.SITE_URL}/{path_or_url.lstrip('/')}"


# The public page of what a notification is about, by (app label, model); None: no public page.
_TARGET_PATHS: dict[tuple[str, str], Callable[[str], str]] = {
    ("videos", "video"): video_path,
    ("posts", "post"): post_path,
}


def path_for_target(app_label: str, model: str, object_id) -> str | None:
    builder = _TARGET_PATHS.get((app_label, model))
    if builder is None:
        return None
    try:
        return builder(object_id)
    except (TypeError, ValueError):
        return None


# --- oEmbed -------------------------------------------------------------------------------------

OEMBED_KINDS = {"v": "video", "p": "post"}
_PUBLIC_PATH = re.compile(r"^/(?P<kind>[vp])/(?P<id>[0-9]{1,19})/?$")
_oembed: dict[str, Callable[..., dict | None]] = {}


def register_oembed(kind: str, resolver: Callable[..., dict | None]) -> None:
    """``resolver(object_id=, maxwidth=, maxheight=)`` returns the oEmbed fields of a public
    object (without ``version``/``provider_*``), or None when it is not shown to everyone."""
    _oembed[kind] = resolver


def parse_public_url(url: str, *, hosts: tuple[str, ...] = ()) -> tuple[str, int] | None:
    """(kind, id) of one of our public page URLs (``SITE_URL``'s host, one of ``hosts`` — the
    host the request came to —, or a bare path), else None."""
    parts = urlsplit(url.strip())
    ours = {urlsplit(settings.SITE_URL).netloc.lower(), *(host.lower() for host in hosts)}
    if parts.netloc and parts.netloc.lower() not in ours:
        return None
    match = _PUBLIC_PATH.match(parts.path or "")
    if not match or not 0 < int(match["id"]) < 2**63:
        return None
    return OEMBED_KINDS[match["kind"]], int(match["id"])


def oembed(
    url: str, *, maxwidth: int | None = None, maxheight: int | None = None, hosts: tuple[str, ...] = ()
) -> dict | None:
    parsed = parse_public_url(url, hosts=hosts)
    if parsed is None:
        return None
    kind, object_id = parsed
    resolver = _oembed.get(kind)
    if resolver is None:
        return None
    fields = resolver(object_id=object_id, maxwidth=maxwidth, maxheight=maxheight)
    if fields is None:
        return None
    return {"version": "1.0", "provider_name": "Social Flow", "provider_url": settings.SITE_URL + "/", **fields}

"""Serves local media (embedded mode) with correct types and HTTP range requests, for players."""

import asyncio
import mimetypes
import os
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

from socialflow.core import media_access

for _type, _ext in (
    ("application/vnd.apple.mpegurl", ".m3u8"),
    ("video/mp2t", ".ts"),
    ("video/iso.segment", ".m4s"),
    ("text/vtt", ".vtt"),
    ("video/mp4", ".mp4"),
    ("image/webp", ".webp"),
):
    mimetypes.add_type(_type, _ext)

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Media is user-supplied and served from the app's own origin: only types a browser cannot run as a
# page are shown inline. Anything else (an "original.html" uploaded as a video, an SVG with script)
# is a download, and every media response is sandboxed, so an upload can never script our origin.
INLINE_TYPES = frozenset({"application/vnd.apple.mpegurl", "application/dash+xml", "text/vtt"})
INLINE_PREFIXES = ("video/", "audio/", "image/")
SANDBOX_CSP = "default-src 'none'; media-src 'self'; img-src 'self'; sandbox"


def _safe_content_type(name: str) -> tuple[str, bool]:
    """(content type, inline?) for a stored file name."""
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type in INLINE_TYPES or (content_type.startswith(INLINE_PREFIXES) and content_type != "image/svg+xml"):
        return content_type, True
    return "application/octet-stream", False


async def iter_file_async(path: Path, offset: int, length: int, chunk_size: int = 256 * 1024):
    """Yield ``length`` bytes of ``path`` from ``offset`` without blocking the event loop.

    An async iterator lets the ASGI server stream a multi-GB video chunk by chunk; Django would
    read a synchronous iterator into memory whole before sending it.
    """
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        await asyncio.to_thread(handle.seek, offset)
        remaining = length
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(chunk_size, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


PUBLIC_CACHE = "public, max-age=3600"
PRIVATE_CACHE = "private, no-store"
PLAYLIST_SUFFIX = ".m3u8"


def _normalized(path: str) -> str:
    """The stored name a URL path names, refusing ``..``/absolute tricks (a 404, not a 500)."""
    try:
        full = safe_join(settings.MEDIA_ROOT, path)
    except (SuspiciousFileOperation, ValueError) as exc:
        raise Http404("Not found") from exc
    name = Path(os.path.relpath(full, os.path.abspath(settings.MEDIA_ROOT))).as_posix()
    if name in ("", ".") or name.startswith(".."):
        raise Http404("Not found")
    return name


@require_safe
def serve_media(request, path):
    """Plain media: anything no app manages, and managed media while it is public."""
    name = _normalized(path)
    scope = media_access.scope_for(name)
    if scope is None or (not isinstance(scope, media_access.Unmanaged) and not scope.public):
        raise Http404("Not found")  # non-public media only through a signed path
    return _file_response(request, name, cache=PUBLIC_CACHE)


@require_safe
def serve_signed_media(request, token, path):
    """A signed path (``/media/s/<token>/<name>``): valid for the name's current scope only."""
    name = _normalized(path)
    scope = media_access.scope_for(name)
    if isinstance(scope, media_access.Unmanaged) or scope is None or not media_access.token_valid(token, scope):
        raise Http404("Not found")
    if media_access.is_local_storage():
        return _file_response(request, name, cache=PRIVATE_CACHE)
    return _s3_response(name, scope)


def _s3_response(name: str, scope: media_access.MediaScope):
    """S3: a playlist with its segment URIs presigned; any other file, a redirect to a presigned URL."""
    ttl = scope.ttl or settings.MEDIA_SIGNED_URL_TTL
    if not name.endswith(PLAYLIST_SUFFIX):
        response = HttpResponseRedirect(media_access.presigned_url(name, ttl=ttl))
        response["Cache-Control"] = PRIVATE_CACHE
        return response
    if not default_storage.exists(name):
        raise Http404("Not found")
    with default_storage.open(name, "rb") as handle:
        text = handle.read().decode("utf-8", errors="replace")
    base = name.rsplit("/", 1)[0]
    lines = []
    for line in text.splitlines():
        uri = line.strip()
        # Variant playlists stay relative (they come back here, signed by the same path); segments,
        # keys and init sections become presigned S3 URLs.
        if uri and not uri.startswith("#") and "://" not in uri and not uri.endswith(PLAYLIST_SUFFIX):
            line = media_access.presigned_url(f"{base}/{uri}", ttl=ttl)
        lines.append(line)
    response = HttpResponse("\n".join(lines) + "\n", content_type="application/vnd.apple.mpegurl")
    response["Cache-Control"] = PRIVATE_CACHE
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _file_response(request, name: str, *, cache: str):
    full_path = Path(settings.MEDIA_ROOT) / name
    if not full_path.is_file():
        raise Http404("Not found")
    size = full_path.stat().st_size
    content_type, inline = _safe_content_type(full_path.name)
    match = RANGE_RE.match(request.headers.get("Range", "").strip())
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start, end = int(first), int(last) if last else size - 1
        else:  # suffix range: the last N bytes
            start, end = max(0, size - int(last)), size - 1
        end = min(end, size - 1)
        if start > end or start >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        status, length = 206, end - start + 1
    else:
        status, start, length = 200, 0, size
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    else:
        response = StreamingHttpResponse(
            iter_file_async(full_path, start, length), status=status, content_type=content_type
        )
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    response["Content-Length"] = str(length)
    if not inline:
        response["Content-Disposition"] = "attachment"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"  # HLS players on other origins
    return response

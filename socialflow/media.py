"""Serves local media (embedded mode) with correct types and HTTP range requests, for players."""

import asyncio
import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

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


@require_safe
def serve_media(request, path):
    try:
        full_path = Path(safe_join(settings.MEDIA_ROOT, path))
    except Exception as exc:  # SuspiciousFileOperation for ../ tricks
        raise Http404("Not found") from exc
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
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"  # HLS players on other origins
    return response

"""Serves the embedded listener's live HLS (production: nginx-rtmp's http server or a CDN).

Playlists change every segment, so they must not be cached (the generic media view caches for an
hour); segments never change once written.
"""

import re
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

NAME = re.compile(r"^(index\.m3u8|seg\d{1,9}\.ts)$")
PLAYBACK_ID = re.compile(r"^[0-9a-f]{8,32}$")


@require_safe
def live_hls_file(request, playback_id: str, name: str):
    if not PLAYBACK_ID.match(playback_id) or not NAME.match(name):
        raise Http404("Not found")
    path = Path(settings.MEDIA_ROOT) / settings.LIVE_HLS_DIR / playback_id / name
    # Read at once (segments are a few hundred KB): ffmpeg deletes old segments and replaces the
    # playlist while we serve, so a file that vanished between a check and the read is a 404, not a
    # 500; and a bytes body avoids the ASGI handler's thread hop for a synchronous file iterator.
    try:
        body = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise Http404("Not found") from None
    is_playlist = name.endswith(".m3u8")
    response = HttpResponse(body, content_type="application/vnd.apple.mpegurl" if is_playlist else "video/mp2t")
    response["Cache-Control"] = "no-cache" if is_playlist else "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response

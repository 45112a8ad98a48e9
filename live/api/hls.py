"""Serves the embedded listener's live HLS (production: nginx-rtmp's http server or a CDN).

Playlists change every segment, so they must not be cached (the generic media view caches for an
hour); segments never change once written.
"""

import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

NAME = re.compile(r"^(index\.m3u8|seg\d{1,9}\.ts)$")
PLAYBACK_ID = re.compile(r"^[0-9a-f]{8,32}$")


@require_safe
def live_hls_file(request, playback_id: str, name: str):
    if not PLAYBACK_ID.match(playback_id) or not NAME.match(name):
        raise Http404("Not found")
    path = Path(settings.MEDIA_ROOT) / settings.LIVE_HLS_DIR / playback_id / name
    if not path.is_file():
        raise Http404("Not found")
    is_playlist = name.endswith(".m3u8")
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type="application/vnd.apple.mpegurl" if is_playlist else "video/mp2t",
    )
    response["Cache-Control"] = "no-cache" if is_playlist else "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response

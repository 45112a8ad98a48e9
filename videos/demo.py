"""Demo data: a short generated clip for alice, transcoded by the `make run` worker."""

import tempfile
from pathlib import Path

from django.conf import settings

from videos.lib.ffmpeg import make_test_clip
from videos.models import Video
from videos.services import video_create_from_file

DEMO_TITLE = "Welcome to Social Flow"


def seed(*, context: dict, stdout) -> None:
    alice = context["users"]["alice"]
    if Video.objects.filter(author=alice, title=DEMO_TITLE).exists():
        return
    Path(settings.VIDEO_UPLOAD_DIR).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=settings.VIDEO_UPLOAD_DIR)) / "welcome.mp4"
    make_test_clip(tmp, seconds=4, size="640x360")
    video = video_create_from_file(
        author=alice,
        path=tmp,
        title=DEMO_TITLE,
        description="A generated test pattern, transcoded to HLS by the worker.",
        tags=["demo", "welcome"],
    )
    tmp.parent.rmdir()
    stdout.write(f"Demo video {video.pk} queued for transcoding (alice).")

"""How copyright reacts to other apps' events (registered in ``CopyrightConfig.ready()``)."""

from copyright import services
from socialflow.core import events


def on_video_ready(event) -> None:
    """A transcoded video is fingerprinted and matched in the background."""
    services.video_queue_fingerprint(video_id=event.payload["video_id"])


def register() -> None:
    events.register("video.ready", on_video_ready, name="copyright.video_ready")

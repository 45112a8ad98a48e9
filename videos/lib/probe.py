"""Probe a media file with PyAV (libav* in-process, no ffprobe binary needed)."""

from dataclasses import dataclass
from fractions import Fraction

import av


class ProbeError(Exception):
    """The file is not something we can transcode; the message is shown to the uploader."""


@dataclass(frozen=True)
class ProbeResult:
    width: int
    height: int
    duration_s: float
    fps: float
    has_audio: bool
    video_codec: str
    rotation: int = 0


def probe(path: str) -> ProbeResult:
    """Open the container, check for a decodable video stream, and return its basic facts.

    Raises ``ProbeError`` for non-media, audio-only, undecodable or truncated files.
    """
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise ProbeError("The file is not a video we can read.") from exc
    try:
        if not container.streams.video:
            raise ProbeError("The file has no video stream.")
        stream = container.streams.video[0]
        codec = stream.codec_context
        width, height = int(codec.width or 0), int(codec.height or 0)
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        fps = float(rate) if rate else 30.0
        duration_s = 0.0
        if container.duration:
            duration_s = container.duration / av.time_base
        elif stream.duration and stream.time_base:
            duration_s = float(stream.duration * stream.time_base)
        try:
            frame = next(container.decode(video=0), None)
        except (av.FFmpegError, StopIteration, ValueError) as exc:
            raise ProbeError("The video stream cannot be decoded.") from exc
        if frame is None:
            raise ProbeError("The video stream has no frames.")
        width, height = width or frame.width, height or frame.height
        return ProbeResult(
            width=width,
            height=height,
            duration_s=duration_s,
            fps=fps if 0 < fps <= 240 else 30.0,
            has_audio=bool(container.streams.audio),
            video_codec=codec.name or "",
        )
    finally:
        container.close()

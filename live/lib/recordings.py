"""Join the recorded parts of one broadcast (one file per publisher session) into a single file.

An encoder that reconnects within the grace period continues the same stream; the ingest server
still writes one recording per session. The parts are concatenated without re-encoding (ffmpeg's
concat demuxer, stream copy): the same encoder sends the same codecs, and the video pipeline
transcodes the result anyway.
"""

import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg

JOIN_TIMEOUT_S = 30 * 60


class JoinFailed(Exception):
    pass


def join_parts(parts: list[Path], output: Path) -> Path:
    """Concatenate ``parts`` (in order) into ``output`` (Matroska: takes any codec the parts hold)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=output.parent, delete=False) as listing:
        for part in parts:
            # the concat demuxer's quoting: a single quote becomes '\''
            escaped = str(part.resolve()).replace("'", "'\\''")
            listing.write(f"file '{escaped}'\n")
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
        *("-f", "concat", "-safe", "0", "-i", listing.name),
        *("-map", "0", "-c", "copy", str(output)),
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=JOIN_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        output.unlink(missing_ok=True)
        raise JoinFailed("joining the recording parts timed out") from exc
    finally:
        Path(listing.name).unlink(missing_ok=True)
    if result.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        output.unlink(missing_ok=True)
        raise JoinFailed(result.stderr.decode(errors="replace")[-500:] or "ffmpeg produced no output")
    return output

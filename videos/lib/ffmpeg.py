"""Build and run the one ffmpeg command that makes the whole HLS ladder, poster and preview sprite.

Framework-free: takes paths and numbers, returns paths and numbers. The caller (videos.transcode)
owns storage, database state and retries.
"""

import math
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg

from socialflow.processes import die_with_parent

SPRITE_COLUMNS = 10
SPRITE_MAX_THUMBS = 100
SPRITE_THUMB_WIDTH = 160


class FfmpegError(Exception):
    """ffmpeg exited non-zero; ``stderr_tail`` holds the end of its log."""

    def __init__(self, message: str, stderr_tail: str = ""):
        super().__init__(message)
        self.stderr_tail = stderr_tail


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


@dataclass(frozen=True)
class Rung:
    name: str  # e.g. "720p"
    width: int
    height: int
    fps: float
    video_bitrate: int  # bits/s
    maxrate: int
    bufsize: int
    audio_bitrate: int


@dataclass
class Plan:
    rungs: list[Rung]
    has_audio: bool
    duration_s: float
    segment_s: int
    sprite_interval_s: float
    sprite_count: int
    sprite_rows: int
    sprite_thumb_w: int
    sprite_thumb_h: int
    poster_at_s: float
    extra: dict = field(default_factory=dict)


def plan_ladder(
    *,
    width: int,
    height: int,
    fps: float,
    duration_s: float,
    has_audio: bool,
    ladder: list[int],
    bits_per_pixel: float,
    segment_s: int,
) -> Plan:
    """Pick the rungs (never above the source's short side) and their bitrates.

    Bitrate = bits-per-pixel x width x height x fps (PeerTube's approach), capped by maxrate 1.5x
    and a 2x VBV buffer. Portrait sources are scaled on their short side, like landscape ones.
    """
    short = min(width, height)
    heights = sorted({h for h in ladder if h <= short}, reverse=True) or [_even(short)]
    out_fps = min(fps, 60.0)
    rungs = []
    for target in heights:
        if width >= height:
            out_h, out_w = _even(target), _even(width * target / height)
        else:
            out_w, out_h = _even(target), _even(height * target / width)
        rung_fps = out_fps if target >= 720 else min(out_fps, 30.0)
        bitrate = int(bits_per_pixel * out_w * out_h * rung_fps)
        bitrate = max(bitrate, 150_000)
        audio = 128_000 if target >= 480 else 96_000 if target >= 360 else 64_000
        rungs.append(
            Rung(
                name=f"{min(out_w, out_h)}p",
                width=out_w,
                height=out_h,
                fps=rung_fps,
                video_bitrate=bitrate,
                maxrate=int(bitrate * 1.5),
                bufsize=int(bitrate * 2),
                audio_bitrate=audio,
            )
        )
    interval = max(1.0, duration_s / SPRITE_MAX_THUMBS) if duration_s > 0 else 1.0
    count = max(1, min(SPRITE_MAX_THUMBS, math.ceil(duration_s / interval) if duration_s > 0 else 1))
    thumb_w = SPRITE_THUMB_WIDTH
    thumb_h = _even(SPRITE_THUMB_WIDTH * height / width)
    return Plan(
        rungs=rungs,
        has_audio=has_audio,
        duration_s=duration_s,
        segment_s=segment_s,
        sprite_interval_s=interval,
        sprite_count=count,
        sprite_rows=math.ceil(count / SPRITE_COLUMNS),
        sprite_thumb_w=thumb_w,
        sprite_thumb_h=thumb_h,
        poster_at_s=min(duration_s * 0.1, 5.0) if duration_s > 1 else 0.0,
    )


def build_command(
    *, source: str, out_dir: Path, plan: Plan, preset: str = "veryfast", threads: int = 0, extras: bool = True
) -> list[str]:
    """The single ffmpeg invocation: split the decoded video into every rung (+ poster + sprite).

    Keyframes are forced every segment duration and scene-cut keyframes are disabled, so segment
    boundaries line up across renditions and players can switch rungs at any boundary.
    """
    n = len(plan.rungs)
    branches = n + (2 if extras else 0)
    graph = [f"[0:v:0]split={branches}" + "".join(f"[s{i}]" for i in range(branches))]
    for i, rung in enumerate(plan.rungs):
        graph.append(f"[s{i}]fps={rung.fps:.3f},scale={rung.width}:{rung.height},setsar=1,format=yuv420p[v{i}]")
    if extras:
        poster_w = plan.rungs[0].width
        poster_h = plan.rungs[0].height
        graph.append(f"[s{n}]select='gte(t\\,{plan.poster_at_s:.3f})',scale={poster_w}:{poster_h},setsar=1[poster]")
        # Thumbnails as separate frames (tiled into the sprite afterwards by ``tile_sprite``): a
        # ``tile`` filter would emit nothing until EOF and stall ffmpeg's progress reports.
        graph.append(
            f"[s{n + 1}]fps=1/{plan.sprite_interval_s:.3f},scale={plan.sprite_thumb_w}:{plan.sprite_thumb_h},"
            "setsar=1[sprite]"
        )
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-stats_period", "0.5"]
    cmd += ["-progress", "pipe:1", "-i", source, "-filter_complex", ";".join(graph)]
    if threads:
        cmd += ["-threads", str(threads)]
    var_map = []
    for i, rung in enumerate(plan.rungs):
        cmd += ["-map", f"[v{i}]"]
        if plan.has_audio:
            cmd += ["-map", "0:a:0"]
        cmd += [
            f"-c:v:{i}",
            "libx264",
            f"-b:v:{i}",
            str(rung.video_bitrate),
            f"-maxrate:v:{i}",
            str(rung.maxrate),
            f"-bufsize:v:{i}",
            str(rung.bufsize),
        ]
        if plan.has_audio:
            cmd += [f"-c:a:{i}", "aac", f"-b:a:{i}", str(rung.audio_bitrate), f"-ac:a:{i}", "2"]
        var_map.append(f"v:{i},a:{i},name:{rung.name}" if plan.has_audio else f"v:{i},name:{rung.name}")
    seg = plan.segment_s
    cmd += [
        "-preset",
        preset,
        "-profile:v",
        "high",
        "-sc_threshold",
        "0",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{seg})",
        "-f",
        "hls",
        "-hls_time",
        str(seg),
        "-hls_playlist_type",
        "vod",
        "-hls_flags",
        "independent_segments",
        "-hls_segment_filename",
        str(out_dir / "%v" / "seg_%05d.ts"),
        "-master_pl_name",
        "master.m3u8",
        "-var_stream_map",
        " ".join(var_map),
        str(out_dir / "%v" / "index.m3u8"),
    ]
    if extras:
        cmd += ["-map", "[poster]", "-frames:v", "1", "-q:v", "3", str(out_dir / "poster.jpg")]
        (out_dir / "thumbs").mkdir(parents=True, exist_ok=True)
        cmd += ["-map", "[sprite]", "-frames:v", str(plan.sprite_count), "-q:v", "5"]
        cmd += ["-f", "image2", str(out_dir / "thumbs" / "t_%04d.jpg")]
    return cmd


def run_with_progress(
    cmd: list[str], *, duration_s: float, on_progress: Callable[[int], None] | None = None, timeout_s: float = 0
) -> None:
    """Run ffmpeg, reporting 0–100 from ``-progress pipe:1`` (out_time_us against the duration)."""
    # ffmpeg dies with the worker that runs it: a killed worker leaves no orphan beside its retry.
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1, preexec_fn=die_with_parent
    )
    stderr_lines: list[str] = []

    def _drain():
        for line in proc.stderr:
            stderr_lines.append(line)
            if len(stderr_lines) > 200:
                del stderr_lines[:100]

    drain = threading.Thread(target=_drain, daemon=True)
    drain.start()
    # A watchdog: a wedged ffmpeg (no output, never exits) is killed and reported as a failure.
    watchdog = threading.Timer(timeout_s, proc.kill) if timeout_s else None
    if watchdog:
        watchdog.daemon = True
        watchdog.start()
    try:
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and on_progress and duration_s > 0 and value.isdigit():
                on_progress(max(0, min(99, int(int(value) / 1e6 / duration_s * 100))))
        proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if watchdog:
            watchdog.cancel()
    drain.join(timeout=5)
    if proc.returncode != 0:
        tail = "".join(stderr_lines[-20:])
        raise FfmpegError(f"ffmpeg exited with status {proc.returncode}", stderr_tail=tail)


def tile_sprite(out_dir: Path, plan: Plan) -> int:
    """Tile ``thumbs/t_*.jpg`` into ``sprite.jpg`` (10 columns) and drop the single thumbnails."""
    from PIL import Image

    thumbs = sorted((out_dir / "thumbs").glob("t_*.jpg"))[: plan.sprite_count]
    rows = max(1, math.ceil(len(thumbs) / SPRITE_COLUMNS))
    sheet = Image.new("RGB", (plan.sprite_thumb_w * SPRITE_COLUMNS, plan.sprite_thumb_h * rows))
    for i, path in enumerate(thumbs):
        with Image.open(path) as thumb:
            cell = thumb.convert("RGB").resize((plan.sprite_thumb_w, plan.sprite_thumb_h))
            sheet.paste(cell, ((i % SPRITE_COLUMNS) * plan.sprite_thumb_w, (i // SPRITE_COLUMNS) * plan.sprite_thumb_h))
    sheet.save(out_dir / "sprite.jpg", quality=80)
    for path in (out_dir / "thumbs").iterdir():
        path.unlink()
    (out_dir / "thumbs").rmdir()
    plan.sprite_count = len(thumbs) or plan.sprite_count
    return len(thumbs)


def sprite_vtt(plan: Plan, *, sprite_url: str) -> str:
    """WebVTT thumbnails: one cue per sprite cell, ``sprite.jpg#xywh=x,y,w,h`` (what players read)."""

    def ts(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    lines = ["WEBVTT", ""]
    for i in range(plan.sprite_count):
        start = i * plan.sprite_interval_s
        end = min(plan.duration_s, start + plan.sprite_interval_s) if plan.duration_s else start + 1
        if end <= start:
            break
        x = (i % SPRITE_COLUMNS) * plan.sprite_thumb_w
        y = (i // SPRITE_COLUMNS) * plan.sprite_thumb_h
        lines += [
            f"{ts(start)} --> {ts(end)}",
            f"{sprite_url}#xywh={x},{y},{plan.sprite_thumb_w},{plan.sprite_thumb_h}",
            "",
        ]
    return "\n".join(lines)


def make_test_clip(
    path: Path, *, seconds: float = 2, size: str = "320x240", audio: bool = True, rate: int = 25
) -> Path:
    """A synthetic clip from lavfi (testsrc2 + sine) — used by tests, demo data and benchmarks."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac", "-shortest"]
    cmd.append(str(path))
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    return path

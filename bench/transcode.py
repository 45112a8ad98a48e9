"""Transcode: a 1080p30 H.264 + AAC source through the whole pipeline vs the bare ffmpeg command.

Workload (BENCHMARKS.md): a 60 s 1080p30 source (``BENCH_TRANSCODE_SECONDS`` shortens it) turned
into the HLS ladder 1080/720/480/360 + poster + preview sprite. The pipeline run is the Celery task
body (``videos.tasks.transcode_video``, called in-process): claim, probe, the one ffmpeg run with
progress writes, sprite tiling + WebVTT, publishing to storage, the row switch. The baseline is the
very same ffmpeg command run bare, in the same run. Target: pipeline wall time <= 1.05 x baseline.

A warm-up job on a tiny clip runs first (a worker is long-lived; its one-time start-up costs are
not part of a job). Knobs: BENCH_TRANSCODE_SECONDS (60), BENCH_TRANSCODE_ROUNDS (1; rounds alternate baseline/pipeline,
the median of each is compared).
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from unittest import mock

from bench._videos_env import cleanup, prepare
from bench.common import Result

LADDER = [1080, 720, 480, 360]


def _source(seconds: int) -> Path:
    from django.conf import settings

    from videos.lib.ffmpeg import ffmpeg_exe

    cache = Path(settings.BASE_DIR) / "var" / "bench"  # kept between runs (var/ is not committed)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"source-1080p-{seconds}s.mp4"
    if not path.exists():
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
        cmd += ["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}"]
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "6M", "-pix_fmt", "yuv420p"]
        cmd += ["-c:a", "aac", "-b:a", "128k", "-shortest", str(path)]
        subprocess.run(cmd, check=True, timeout=1800)
    return path


def _baseline(source: Path) -> float:
    """The bare command: exactly what the pipeline runs, without Django, Celery or storage."""
    from django.conf import settings

    from videos.lib import ffmpeg
    from videos.lib.probe import probe

    result = probe(str(source))
    plan = ffmpeg.plan_ladder(
        width=result.width,
        height=result.height,
        fps=result.fps,
        duration_s=result.duration_s,
        has_audio=result.has_audio,
        ladder=LADDER,
        bits_per_pixel=settings.VIDEO_BITS_PER_PIXEL,
        segment_s=settings.VIDEO_SEGMENT_SECONDS,
    )
    out = Path(tempfile.mkdtemp(prefix="sf-bench-bare-"))
    cmd = ffmpeg.build_command(
        source=str(source), out_dir=out, plan=plan, preset=settings.VIDEO_X264_PRESET, extras=True
    )
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    elapsed = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def _pipeline(user, source: Path) -> tuple[float, dict]:
    from videos import services, tasks
    from videos.models import Video

    copy = Path(tempfile.mkdtemp(prefix="sf-bench-src-")) / "source.mp4"
    shutil.copyfile(source, copy)
    # Queue nothing: a real worker (PostgreSQL mode) must not race the timed in-process run.
    with mock.patch("videos.services.videos._queue_transcode"):
        video = services.video_create_from_file(author=user, path=copy, title="bench transcode")
    started = time.perf_counter()
    status = tasks.transcode_video.run(video.pk)
    elapsed = time.perf_counter() - started
    video = Video.objects.get(pk=video.pk)
    details = {"status": status, "renditions": [r["height"] for r in video.renditions], "error": video.error}
    video_id = video.pk
    services.video_delete(video=video)
    tasks.delete_video_media.run(prefix=f"videos/{video_id}", names=[])
    copy.parent.rmdir()
    return elapsed, details


def run() -> Result:
    user = prepare("transcode")
    from django.test import override_settings

    seconds = int(os.environ.get("BENCH_TRANSCODE_SECONDS", "60"))
    rounds = int(os.environ.get("BENCH_TRANSCODE_ROUNDS", "1"))
    source = _source(seconds)
    bare, piped, details = [], [], {}
    with override_settings(VIDEO_LADDER=LADDER, VIDEO_QUICK_PASS_MIN_S=10**9):
        # A worker is long-lived: one job on a tiny clip first, so one-time imports and URL
        # resolver population (notification texts reverse URLs) are not billed to the measured job.
        from videos.lib.ffmpeg import make_test_clip

        warm = make_test_clip(Path(tempfile.mkdtemp(prefix="sf-bench-warm-")) / "warm.mp4", seconds=1)
        _pipeline(user, warm)
        shutil.rmtree(warm.parent, ignore_errors=True)
        for round_no in range(rounds):
            # Alternate which goes first so a burst of load on the shared machine hits both alike.
            if round_no % 2:
                elapsed, details = _pipeline(user, source)
                piped.append(elapsed)
                bare.append(_baseline(source))
            else:
                bare.append(_baseline(source))
                elapsed, details = _pipeline(user, source)
                piped.append(elapsed)
    cleanup()
    base, pipe = statistics.median(bare), statistics.median(piped)
    ratio = base / pipe
    return Result(
        scenario="transcode",
        figure=f"pipeline {pipe:.1f} s vs bare {base:.1f} s ({seconds} s 1080p)",
        target="pipeline <= 1.05 x bare",
        baseline="bare ffmpeg, same ladder + poster + sprite",
        ratio=ratio,
        ratio_meaning="bare time / pipeline time",
        met=pipe <= 1.05 * base and details.get("status") == "ready",
        details={
            "source_seconds": seconds,
            "bare_s": [round(x, 2) for x in bare],
            "pipeline_s": [round(x, 2) for x in piped],
            **details,
        },
    )

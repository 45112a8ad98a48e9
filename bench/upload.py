"""Upload: a tus upload in 8 MiB PATCHes through the real HTTP stack vs ``dd`` to the same disk.

A uvicorn server is started on BENCH_UPLOAD_PORT (8102) with the same environment; the client
creates the upload (``POST /api/v1/uploads``) and sends 8 MiB chunks on one keep-alive connection,
each appended and fsynced by the server. The baseline, in the same run, is
``dd bs=8M conv=fdatasync`` of the same size into the upload directory. Target: >= 0.5 x dd.
Rounds are interleaved (dd, upload, dd, upload, ...) against one server; the figure is the median
ratio with its min and max, and the load average is recorded.

With BENCH_UPLOAD_DJANGO=1 each round also sends the upload to a second server that has the lean
PATCH path off (``VIDEO_UPLOAD_LEAN=false``: every body spooled by Django first), on the next port:
the old path measured in the same rounds.

Knobs: BENCH_UPLOAD_MB (1024), BENCH_UPLOAD_PORT (8102), BENCH_UPLOAD_ROUNDS (3), BENCH_UPLOAD_DJANGO (0).
"""

import os
import statistics
import subprocess
import time
from pathlib import Path

from bench._videos_env import cleanup, prepare
from bench.common import Result, start_server

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 8 * 1024 * 1024


def _start_server(port: int, env: dict | None = None) -> subprocess.Popen:
    return start_server(port, env=env)


def _dd(target: Path, megabytes: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={target}", "bs=8M", f"count={megabytes // 8}", "conv=fdatasync"],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    target.unlink(missing_ok=True)
    return elapsed


def _upload(port: int, token: str, size: int) -> tuple[float, str]:
    import requests

    base = f"http://127.0.0.1:{port}/api/v1/uploads"
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    chunk = os.urandom(CHUNK)
    with requests.Session() as session:
        started = time.perf_counter()
        created = session.post(
            base, headers={**headers, "Upload-Length": str(size), "Upload-Metadata": "filename YmVuY2guYmlu"}
        )
        created.raise_for_status()
        location = created.headers["Location"]
        offset = 0
        response = created
        while offset < size:
            body = chunk if size - offset >= CHUNK else chunk[: size - offset]
            response = session.patch(
                location,
                data=body,
                headers={**headers, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
            )
            if response.status_code != 204:
                raise RuntimeError(f"PATCH failed: {response.status_code} {response.text[:200]}")
            offset = int(response.headers["Upload-Offset"])
        elapsed = time.perf_counter() - started
    return elapsed, response.headers.get("Video-Id", "")


def _forget(video_id: str) -> None:
    from videos import services
    from videos.models import Video
    from videos.tasks import delete_video_media

    video = Video.objects.filter(pk=video_id).first()
    if video is not None:
        services.video_delete(video=video)
        delete_video_media.run(prefix=f"videos/{video_id}", names=[])


def run() -> Result:
    user = prepare("upload")
    from django.conf import settings
    from rest_framework_simplejwt.tokens import RefreshToken

    megabytes = int(os.environ.get("BENCH_UPLOAD_MB", "1024"))
    port = int(os.environ.get("BENCH_UPLOAD_PORT", "8102"))
    rounds = int(os.environ.get("BENCH_UPLOAD_ROUNDS", "3"))
    size = megabytes * 1024 * 1024
    token = str(RefreshToken.for_user(user).access_token)
    upload_dir = Path(settings.VIDEO_UPLOAD_DIR)
    upload_dir.mkdir(parents=True, exist_ok=True)
    compare = os.environ.get("BENCH_UPLOAD_DJANGO", "0") == "1"
    load_before = os.getloadavg()
    servers = [_start_server(port)]
    samples = []  # (dd seconds, upload seconds) per round
    django_s = []  # the same upload through Django's spooling path, when compared
    try:
        if compare:
            servers.append(_start_server(port + 1, env={"VIDEO_UPLOAD_LEAN": "false"}))
        for _ in range(rounds):
            dd_s = _dd(upload_dir / "dd-baseline.bin", megabytes)
            upload_s, video_id = _upload(port, token, size)
            _forget(video_id)
            samples.append((dd_s, upload_s))
            if compare:
                seconds, video_id = _upload(port + 1, token, size)
                _forget(video_id)
                django_s.append(seconds)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    load_after = os.getloadavg()
    cleanup()
    ratios = [dd_s / upload_s for dd_s, upload_s in samples]  # throughput ratio, same bytes
    ratio = statistics.median(ratios)
    dd_mbps = statistics.median(megabytes / dd_s for dd_s, _ in samples)
    up_mbps = statistics.median(megabytes / upload_s for _, upload_s in samples)
    compared = {}
    if compare:  # the old path's time / the lean path's, round by round
        speedups = [old / new for old, (_, new) in zip(django_s, samples, strict=True)]
        compared = {
            "django_path_s": [round(x, 2) for x in django_s],
            "django_path_mbps": round(statistics.median(megabytes / x for x in django_s)),
            "lean_over_django_path": [round(x, 2) for x in speedups],
        }
    return Result(
        scenario="upload",
        figure=f"tus {up_mbps:.0f} MiB/s vs dd {dd_mbps:.0f} MiB/s ({megabytes} MiB x {rounds})",
        target=">= 0.5 x dd",
        baseline="dd bs=8M conv=fdatasync, same disk, interleaved",
        ratio=ratio,
        ratio_meaning=f"tus throughput / dd throughput, median of {rounds} (min {min(ratios):.2f}, max {max(ratios):.2f})",
        met=ratio >= 0.5,
        details={
            "megabytes": megabytes,
            "chunk": CHUNK,
            "rounds": [{"dd_s": round(d, 2), "upload_s": round(u, 2), "ratio": round(d / u, 3)} for d, u in samples],
            "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            **compared,
        },
    )

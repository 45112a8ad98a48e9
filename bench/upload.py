"""Upload: a tus upload in 8 MiB PATCHes through the real HTTP stack vs ``dd`` to the same disk.

A uvicorn server is started on BENCH_UPLOAD_PORT (8102) with the same environment; the client
creates the upload (``POST /api/v1/uploads``) and sends 8 MiB chunks on one keep-alive connection,
each appended and fsynced by the server. The baseline, in the same run, is
``dd bs=8M conv=fdatasync`` of the same size into the upload directory. Target: >= 0.5 x dd.

Knobs: BENCH_UPLOAD_MB (1024), BENCH_UPLOAD_PORT (8102).
"""

import os
import subprocess
import time
from pathlib import Path

from bench._videos_env import cleanup, prepare
from bench.common import Result, start_server

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 8 * 1024 * 1024


def _start_server(port: int) -> subprocess.Popen:
    return start_server(port)


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


def run() -> Result:
    user = prepare("upload")
    from django.conf import settings
    from rest_framework_simplejwt.tokens import RefreshToken

    from videos import services
    from videos.models import Video

    megabytes = int(os.environ.get("BENCH_UPLOAD_MB", "1024"))
    port = int(os.environ.get("BENCH_UPLOAD_PORT", "8102"))
    size = megabytes * 1024 * 1024
    token = str(RefreshToken.for_user(user).access_token)
    upload_dir = Path(settings.VIDEO_UPLOAD_DIR)
    upload_dir.mkdir(parents=True, exist_ok=True)
    dd_s = _dd(upload_dir / "dd-baseline.bin", megabytes)
    server = _start_server(port)
    try:
        upload_s, video_id = _upload(port, token, size)
    finally:
        server.terminate()
        server.wait(timeout=30)
    video = Video.objects.filter(pk=video_id).first()
    if video is not None:
        from videos.tasks import delete_video_media

        services.video_delete(video=video)
        delete_video_media.run(prefix=f"videos/{video_id}", names=[])
    cleanup()
    dd_mbps, up_mbps = megabytes / dd_s, megabytes / upload_s
    ratio = up_mbps / dd_mbps
    return Result(
        scenario="upload",
        figure=f"tus {up_mbps:.0f} MiB/s vs dd {dd_mbps:.0f} MiB/s ({megabytes} MiB)",
        target=">= 0.5 x dd",
        baseline="dd bs=8M conv=fdatasync, same disk",
        ratio=ratio,
        ratio_meaning="tus throughput / dd throughput",
        met=ratio >= 0.5,
        details={"megabytes": megabytes, "upload_s": round(upload_s, 2), "dd_s": round(dd_s, 2), "chunk": CHUNK},
    )

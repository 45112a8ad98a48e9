"""End to end: a real RTMP publisher (ffmpeg lavfi) into real nginx-rtmp and into the embedded
ffmpeg listener; the stream goes live, HLS segments appear, publish-done ends it and the recording
becomes a replay video (ready, since transcoding runs eagerly in tests).

nginx calls the ingest callbacks over HTTP, so the real ASGI app runs under uvicorn in a thread of
this process: it shares the test database (transactional_db) and the settings overrides.
"""

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import imageio_ffmpeg
import pytest
import uvicorn
from django.conf import settings

from live.models import Recording, Stream
from live.tests.factories import StreamFactory

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
RTMP_MODULE = next(
    (
        p
        for p in ("/usr/lib/nginx/modules/ngx_rtmp_module.so", "/usr/share/nginx/modules/ngx_rtmp_module.so")
        if os.path.exists(p)
    ),
    None,
)
SECRET = "test-ingest-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def push(port: int, key: str, seconds: int = 6) -> subprocess.Popen:
    return subprocess.Popen(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-re"),
            *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15"),
            *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"),
            *("-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"),
            *("-g", "15", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"),
            *("-f", "flv", f"rtmp://127.0.0.1:{port}/live/{key}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def asgi_server():
    from socialflow.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=15, what="uvicorn")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def e2e_settings(settings, tmp_path):
    settings.LIVE_INGEST_SECRET = SECRET
    settings.LIVE_RECORDINGS_DIR = tmp_path / "recordings"
    settings.LIVE_RECORDINGS_DIR.mkdir(exist_ok=True)
    settings.LIVE_HLS_SEGMENT_S = 1
    settings.LIVE_HLS_PLAYLIST_LENGTH = 4
    settings.LIVE_RECONNECT_GRACE_S = 0  # publish-done ends at once here; the reconnect test sets its own
    settings.LIVE_RECORDING_SETTLE_S = 0
    return settings


def nginx_config(tmp: Path, *, rtmp_port: int, api: str, hls: Path, recordings: Path) -> str:
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""
load_module {RTMP_MODULE};
{user}
daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{rtmp_port};
        chunk_size 4096;
        notify_method post;
        application live {{
            live on;
            deny play all;
            on_publish {api}/api/v1/live/ingest/publish?secret={SECRET}&relay=rtmp://127.0.0.1:{rtmp_port}/hls;
            on_publish_done {api}/api/v1/live/ingest/publish-done?secret={SECRET};
            on_record_done {api}/api/v1/live/ingest/record-done?secret={SECRET};
            notify_relay_redirect off;
            record all;
            record_path {recordings};
            record_unique on;
        }}
        application hls {{
            live on;
            allow publish 127.0.0.1;
            deny publish all;
            deny play all;
            hls on;
            hls_path {hls};
            hls_nested on;
            hls_fragment 1s;
            hls_playlist_length 4s;
        }}
    }}
}}
"""


def api_get(base: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/v1/{path}", timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def assert_replay_over_http(base: str, stream_id: int) -> None:
    """Polls through the API so that only the server thread touches the (SQLite shared-cache) DB."""

    def recording():
        items = api_get(base, f"live/streams/{stream_id}")["recordings"]
        return items[0] if items and items[0]["status"] != "pending" else None

    done = wait_for(recording, timeout=180, what="the recording import")
    assert done["status"] == "imported" and done["video_id"]

    def finished_video():
        try:  # the videos API may hide a video until it is ready
            video = api_get(base, f"videos/{done['video_id']}")
        except urllib.error.HTTPError:
            return None
        return video if video["status"] in ("ready", "failed") else None

    video = wait_for(finished_video, timeout=180, what="the replay transcoding")
    assert video["status"] == "ready", video.get("error")
    assert video["duration_ms"] > 2000


def assert_replay_in_db(stream: Stream) -> None:
    recording = Recording.objects.get(stream=stream)
    assert recording.status == Recording.Status.IMPORTED, recording.error
    video = recording.video
    assert video.author_id == stream.owner_id and video.source == "live"
    assert video.status == "ready", video.error
    assert video.duration_ms and video.duration_ms > 2000


@pytest.mark.skipif(
    NGINX is None or RTMP_MODULE is None, reason="needs Debian nginx + libnginx-mod-rtmp (.ci/run installs them)"
)
@pytest.mark.skipif(
    not settings.IS_POSTGRES,
    reason="needs PostgreSQL (CI's second pass): the SQLite in-memory test DB is shared-cache, whose table locks "
    "make concurrent requests from nginx's callbacks fail with 'database table is locked'",
)
def test_it_streams_through_nginx_rtmp_into_hls_and_a_replay(asgi_server, e2e_settings, tmp_path):
    hls, recordings = tmp_path / "hls", e2e_settings.LIVE_RECORDINGS_DIR
    hls.mkdir()
    for directory in (tmp_path, hls, recordings):
        directory.chmod(0o777)
    rtmp_port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(tmp_path, rtmp_port=rtmp_port, api=asgi_server, hls=hls, recordings=recordings))
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config)], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _port_open(rtmp_port) or nginx.poll() is not None, timeout=10, what="nginx")
        assert nginx.poll() is None, nginx.stderr.read().decode()
        stream = StreamFactory()
        status = lambda: api_get(asgi_server, f"live/streams/{stream.pk}")  # noqa: E731

        bad = push(rtmp_port, "sk_not_a_key", seconds=2)
        bad.wait(timeout=30)
        assert status()["status"] == "idle"

        publisher = push(rtmp_port, stream.stream_key, seconds=7)
        live = wait_for(lambda: (d := status())["status"] == "live" and d, what="live")
        playback_id = live["hls_url"].rstrip("/").split("/")[-2]
        playlist = hls / playback_id / "index.m3u8"
        wait_for(lambda: playlist.exists() and list(playlist.parent.glob("*.ts")), timeout=20, what="HLS segments")
        assert "#EXTM3U" in playlist.read_text()
        assert stream.stream_key not in live["hls_url"]
        assert not list(hls.glob(f"{stream.stream_key}*"))
        assert publisher.wait(timeout=60) == 0, publisher.stderr.read().decode()
        wait_for(lambda: status()["status"] == "ended", what="publish-done")
        assert_replay_over_http(asgi_server, stream.pk)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


def test_it_streams_through_the_embedded_listener(e2e_settings, transactional_db):
    from live.embedded_ingest import EmbeddedIngest

    port = free_port()
    ingest = EmbeddedIngest(host="127.0.0.1", port=port, poll_s=0.5)
    stream = StreamFactory()
    results: list = []

    def serve_one():
        try:
            results.append(ingest.run_session(accept_timeout_s=30))
        finally:
            from django.db import connection

            connection.close()

    worker = threading.Thread(target=serve_one, daemon=True)
    worker.start()
    wait_for(lambda: _port_bound(port), timeout=10, what="the ffmpeg listener")
    publisher = push(port, stream.stream_key, seconds=6)
    # Only the ingest thread touches the database until it is done (SQLite shared-cache locks).
    hls_root = Path(settings.MEDIA_ROOT) / settings.LIVE_HLS_DIR
    playlist = wait_for(lambda: next(hls_root.glob("*/index.m3u8"), None), timeout=20, what="the HLS playlist")
    wait_for(lambda: list(playlist.parent.glob("*.ts")), timeout=20, what="HLS segments")
    publisher.wait(timeout=60)
    worker.join(timeout=240)
    assert results and results[0].pk == stream.pk
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED and stream.started_at and stream.playback_id == playlist.parent.name
    assert_replay_in_db(stream)


def test_it_continues_the_broadcast_when_the_encoder_reconnects(e2e_settings, transactional_db):
    """A real ffmpeg publisher drops and comes back within the grace period: the same stream goes on,
    and its two recording parts become one replay video."""
    import time_machine
    from django.utils import timezone

    from live import tasks
    from live.embedded_ingest import EmbeddedIngest

    e2e_settings.LIVE_RECONNECT_GRACE_S = 60
    port = free_port()
    ingest = EmbeddedIngest(host="127.0.0.1", port=port, poll_s=0.5)
    stream = StreamFactory()
    results: list = []

    def serve_two_sessions():
        try:
            for _ in range(2):
                results.append(ingest.run_session(accept_timeout_s=60))
        finally:
            from django.db import connection

            connection.close()

    worker = threading.Thread(target=serve_two_sessions, daemon=True)
    worker.start()
    for session in range(2):
        wait_for(lambda: _port_bound(port), timeout=30, what=f"the ffmpeg listener (session {session + 1})")
        publisher = push(port, stream.stream_key, seconds=4)
        assert publisher.wait(timeout=60) == 0, publisher.stderr.read().decode()
        wait_for(lambda n=session: len(results) > n, timeout=60, what=f"the end of session {session + 1}")
    worker.join(timeout=60)
    assert [result.pk for result in results] == [stream.pk, stream.pk]
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE and stream.disconnected_at  # waiting for a third reconnect
    assert Recording.objects.filter(stream=stream, status=Recording.Status.PENDING).count() == 2
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=61)):
        assert tasks.reconcile_streams()["ended"] == 1
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED
    parts = list(Recording.objects.filter(stream=stream))
    assert {part.status for part in parts} == {Recording.Status.IMPORTED}, [part.error for part in parts]
    assert len({part.video_id for part in parts}) == 1
    video = parts[0].video
    assert video.status == "ready", video.error
    assert video.duration_ms > 6000  # both sessions (4 s each)


def test_it_refuses_a_wrong_key_on_the_embedded_listener(e2e_settings, transactional_db):
    from live.embedded_ingest import EmbeddedIngest

    port = free_port()
    ingest = EmbeddedIngest(host="127.0.0.1", port=port)
    stream = StreamFactory()
    results: list = []
    worker = threading.Thread(target=lambda: results.append(ingest.run_session(accept_timeout_s=30)), daemon=True)
    worker.start()
    wait_for(lambda: _port_bound(port), timeout=10, what="the ffmpeg listener")
    publisher = push(port, "sk_guess", seconds=3)
    worker.join(timeout=30)
    publisher.kill()
    publisher.wait()
    assert results == [None]
    stream.refresh_from_db()
    assert stream.status == Stream.Status.IDLE


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _port_bound(port: int) -> bool:
    """Whether something listens, without connecting (ffmpeg -listen accepts one connection only)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False

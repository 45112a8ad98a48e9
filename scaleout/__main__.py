"""``python -m scaleout``: start the topology, run the cross-process checks, stop it all.

Exit status 1 if any check failed (each is printed as ``ok``/``FAIL``), 2 if the topology could not
be started. The last line is ``scaleout: N passed, N failed``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
from websockets.sync.client import connect as ws_connect

from smoke.stack import ISOLATED_VARIABLES, free_port
from smoke.traffic import make_clip

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE = "socialflow_scaleout"
REDIS_DB = 11  # a database number of its own on the machine's Redis, flushed before and after
BUCKET = "socialflow-scaleout"
PASSWORD = "scaleout-Passw0rd-4711"  # noqa: S105 (throwaway accounts on a throwaway database)
TOTAL_BUDGET_S = 300
MOTO_KEY = "x"  # moto takes any credentials
OUT_OF_TIME = threading.Event()
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicMedia",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/videos/*",
        }
    ],
}
CORS = {
    "CORSRules": [
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 3600}
    ]
}  # the whole run, start to stop


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=MOTO_KEY,
        aws_secret_access_key=MOTO_KEY,
    )


def find_nginx() -> tuple[str | None, str | None]:
    """Debian's nginx and its RTMP module (.ci/run installs them); SCALEOUT_NGINX/_RTMP_MODULE override."""
    binary = os.environ.get("SCALEOUT_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    module = os.environ.get("SCALEOUT_RTMP_MODULE") or "/usr/lib/nginx/modules/ngx_rtmp_module.so"
    return (binary if os.path.exists(binary) else None), (module if os.path.exists(module) else None)


def render_front(workdir: Path, *, app: str, secret: str, module: str, ports: dict[str, int]) -> Path:
    """deploy/nginx-rtmp.conf as deploy/nginx-start.sh renders it (envsubst of APP and INGEST_SECRET),
    moved to free loopback ports and this run's directories."""
    text = (REPO / "deploy" / "nginx-rtmp.conf").read_text()
    text = text.replace("${APP}", app).replace("${INGEST_SECRET}", secret)
    live = workdir / "live"
    for folder in ("hls", "live-recordings", "nginx-tmp"):
        (live / folder).mkdir(parents=True, exist_ok=True)
    replacements = {
        "/var/lib/socialflow": str(live),
        "rtmp {\n": "rtmp {\n    access_log off;\n",
        "include /etc/nginx/modules-enabled/*.conf;": f"load_module {module};",
        "listen 1935;": f"listen 127.0.0.1:{ports['rtmp']};",
        "rtmp://127.0.0.1:1935/hls": f"rtmp://127.0.0.1:{ports['rtmp']}/hls",
        "listen 80;": f"listen 127.0.0.1:{ports['front']};",
        "listen 8080;": f"listen 127.0.0.1:{ports['hls']};",
        # Compile-time paths of a packaged nginx, moved here so nothing outside the run is touched.
        "http {\n": "http {\n    access_log off;\n"
        + "".join(f"    {kind}_temp_path {live}/nginx-tmp/{kind};\n" for kind in ("client_body", "proxy", "fastcgi"))
        + "".join(f"    {kind}_temp_path {live}/nginx-tmp/{kind};\n" for kind in ("uwsgi", "scgi")),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx-rtmp.conf no longer has {old!r}"
        text = text.replace(old, new)
    head = f"pid {workdir}/nginx.pid;\nerror_log {workdir}/nginx-error.log warn;\n"
    if os.geteuid() == 0:
        head += "user root root;\n"  # workers write recordings into this run's (root-owned) directory
    config = workdir / "nginx.conf"
    config.write_text(head + text)
    return config


def rtmp_publish(url: str, seconds: int) -> subprocess.Popen:
    import imageio_ffmpeg

    return subprocess.Popen(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-re"]
        + ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-f", "lavfi", "-i", "sine=frequency=440"]
        + ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15"]
        + ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def log(message: str) -> None:
    print(f"[scaleout {time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for(what: str, check: Callable[[], object], timeout_s: float, interval_s: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(Exception):
            value = check()
            if value:
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(interval_s)


# --- the machine's services (PostgreSQL, Redis, RabbitMQ), started the way .ci/run does ---------


def _ok(args: list[str]) -> bool:
    try:
        return subprocess.run(args, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_services() -> None:
    if not _ok(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]):
        log("starting PostgreSQL")
        version = sorted(os.listdir("/etc/postgresql"))[0]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
    if not _ok(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"]):
        log("starting Redis")
        for folder in ("/var/lib/redis", "/var/log/redis"):
            os.makedirs(folder, exist_ok=True)
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", ""]
            + ["--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"],
            check=False,
        )
    if not _ok(["rabbitmqctl", "-q", "status"]):
        log("starting RabbitMQ")
        subprocess.run(["rabbitmq-server", "-detached"], check=False)
        wait_for("RabbitMQ", lambda: _ok(["rabbitmqctl", "-q", "await_startup"]), 120, 2)
    wait_for("PostgreSQL", lambda: _ok(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]), 60)
    wait_for("Redis", lambda: _ok(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"]), 30)


class Resources:
    """What this run made on the shared services, so ``release`` removes exactly that."""

    def __init__(self, tag: str):
        self.vhost = f"socialflow_scaleout_{tag}"
        self.vhost_made = False

    def make(self) -> str:
        import psycopg
        import redis

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        if _ok(["rabbitmqctl", "-q", "add_vhost", self.vhost]) and _ok(
            ["rabbitmqctl", "-q", "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"]
        ):
            self.vhost_made = True
            return f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"
        log("could not create a RabbitMQ vhost: using the default one")
        return "amqp://guest:guest@127.0.0.1:5672//"

    def release(self) -> None:
        import psycopg
        import redis

        with contextlib.suppress(Exception), psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
        if self.vhost_made:
            _ok(["rabbitmqctl", "-q", "delete_vhost", self.vhost])


# --- the processes this run starts ----------------------------------------------------------------


class Processes:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "ab") as out:
            process = subprocess.Popen(
                args,
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped with its children
            )
        self.running[name] = process
        return process

    def dead(self) -> list[str]:
        return [name for name, process in self.running.items() if process.poll() is not None]

    def stop_all(self, timeout_s: float = 30) -> list[str]:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in self.running.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        killed = []
        for name, process in self.running.items():
            with contextlib.suppress(ProcessLookupError):  # stragglers of the group, or the leader itself
                os.killpg(process.pid, signal.SIGKILL)
                if process.poll() is None:
                    killed.append(name)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        return killed

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def app_env(workdir: Path, name: str, common: dict[str, str]) -> dict[str, str]:
    """One app process's environment: the shared settings and a VAR_DIR of its own."""
    inherited = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
    var_dir = workdir / f"var-{name}"
    var_dir.mkdir(exist_ok=True)
    return {**inherited, **common, "VAR_DIR": str(var_dir)}


# --- the checks -----------------------------------------------------------------------------------


class Api:
    def __init__(self, name: str, base: str):
        self.name, self.base = name, base
        self.ws = base.replace("http://", "ws://")

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.base}/api/v1/{path}", headers=headers, timeout=30, **kwargs)


class Checks:
    def __init__(self):
        self.passed: list[str] = []
        self.failed: list[str] = []

    def run(self, name: str, check: Callable[[], str | None]) -> None:
        if OUT_OF_TIME.is_set():  # past the budget: report, do not start another bounded wait
            self.failed.append(name)
            log(f"FAIL {name}: not run, the {TOTAL_BUDGET_S} s budget is spent")
            return
        started = time.monotonic()
        try:
            detail = check() or ""
        except Exception as exc:  # a check's failure must not stop the others
            self.failed.append(name)
            log(f"FAIL {name}: {type(exc).__name__}: {str(exc)[:500]}")
            return
        self.passed.append(name)
        log(f"ok   {name} ({time.monotonic() - started:.2f} s) {detail}")


def register(api: Api, username: str) -> dict:
    body = {"username": username, "email": f"{username}@scaleout.test", "password": PASSWORD}
    response = api.call("POST", "auth/register", json=body)
    assert response.status_code == 201, f"register on {api.name}: {response.status_code} {response.text[:200]}"
    response = api.call("POST", "auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, f"token on {api.name}: {response.status_code} {response.text[:200]}"
    return {"username": username, **response.json()}


def receive(socket, wanted: Callable[[dict], bool], timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            frame = json.loads(socket.recv(timeout=max(0.05, deadline - time.monotonic())))
            if wanted(frame):
                return frame
    raise TimeoutError(f"no matching frame within {timeout_s} s")


def run_checks(a: Api, b: Api, s3_endpoint: str, workdir: Path, front: dict | None) -> Checks:
    checks = Checks()
    tag = uuid.uuid4().hex[:6]
    users: dict[str, dict] = {}

    def tokens_everywhere() -> str:
        users["alice"] = register(a, f"alice_{tag}")
        users["bob"] = register(b, f"bob_{tag}")
        me = b.call("GET", "me", users["alice"]["access"])
        assert me.status_code == 200 and me.json()["username"] == users["alice"]["username"], me.text[:200]
        me = a.call("GET", "me", users["bob"]["access"])
        assert me.status_code == 200, me.text[:200]
        return "a token from A works on B and back"

    def refresh_rotation() -> str:
        old = users["alice"]["refresh"]
        rotated = b.call("POST", "auth/token/refresh", json={"refresh": old})
        assert rotated.status_code == 200, f"refresh on B: {rotated.status_code} {rotated.text[:200]}"
        again = a.call("POST", "auth/token/refresh", json={"refresh": old})
        assert again.status_code == 401, f"the rotated-out refresh token still works on A: {again.status_code}"
        fresh = a.call("POST", "auth/token/refresh", json={"refresh": rotated.json()["refresh"]})
        assert fresh.status_code == 200, f"the new refresh token on A: {fresh.status_code}"
        users["alice"].update(fresh.json())
        return "rotated on B, the old token refused on A, the new one accepted on A"

    def feed_across() -> str:
        alice, bob = users["alice"], users["bob"]
        follow = b.call("POST", f"users/{alice['username']}/follow", bob["access"])
        assert 200 <= follow.status_code < 300, f"follow on B: {follow.status_code} {follow.text[:200]}"
        text = f"scale-out post {uuid.uuid4().hex[:8]}"
        post = a.call("POST", "posts", alice["access"], json={"text": text})
        assert post.status_code == 201, f"post on A: {post.status_code} {post.text[:200]}"
        post_id = post.json()["id"]
        started = time.monotonic()

        def in_feed():
            feed = b.call("GET", "feed/home", bob["access"]).json()["results"]
            return any(item.get("id") == post_id for item in feed)

        wait_for("the post in the follower's feed on B", in_feed, 20, 0.05)
        return f"in the follower's feed on B after {time.monotonic() - started:.2f} s"

    def notification_push() -> str:
        alice, bob = users["alice"], users["bob"]
        with ws_connect(f"{b.ws}/ws/notifications/?token={bob['access']}", open_timeout=10) as socket:
            receive(socket, lambda f: f.get("type") == "unread_count", 10)
            started = time.monotonic()
            follow = a.call("POST", f"users/{bob['username']}/follow", alice["access"])
            assert 200 <= follow.status_code < 300, f"follow on A: {follow.status_code} {follow.text[:200]}"
            frame = receive(socket, lambda f: f.get("type") == "notification", 20)
        kind = frame["notification"].get("kind") or frame["notification"].get("type")
        return f"{kind!r} pushed to B's socket {time.monotonic() - started:.2f} s after the follow on A"

    def chat_across() -> str:
        alice, bob = users["alice"], users["bob"]
        stream = a.call("POST", "live/streams", alice["access"], json={"title": "scale-out live"})
        assert stream.status_code == 201, f"stream on A: {stream.status_code} {stream.text[:200]}"
        stream_id = stream.json()["id"]
        users["alice"]["stream"] = stream.json()  # one active stream per user: the live path reuses it
        text = f"hello across processes {uuid.uuid4().hex[:6]}"
        with (
            ws_connect(f"{b.ws}/ws/live/{stream_id}/chat/?token={bob['access']}", open_timeout=10) as listener,
            ws_connect(f"{a.ws}/ws/live/{stream_id}/chat/?token={alice['access']}", open_timeout=10) as talker,
        ):
            time.sleep(0.3)  # both joined the room
            started = time.monotonic()
            talker.send(json.dumps({"type": "chat.send", "text": text}))
            receive(listener, lambda f: f.get("type") == "chat.message" and f.get("text") == text, 15)
        return f"sent on A, heard on B after {time.monotonic() - started:.2f} s"

    def tus_split_to_hls_on_s3() -> str:
        from tusclient import client as tus

        alice = users["alice"]
        clip = make_clip(workdir / "clip.mp4")
        data = clip.read_bytes()
        half = len(data) // 2
        auth = {"Authorization": f"Bearer {alice['access']}"}
        first = tus.TusClient(f"{a.base}/api/v1/uploads", headers=auth).uploader(
            str(clip), chunk_size=half, metadata={"filename": "clip.mp4", "title": "scale-out clip"}
        )
        first.upload_chunk()  # creation and the first half on A
        assert first.offset == half, f"offset after A: {first.offset}"
        url_b = first.url.replace(a.base, b.base)
        second = tus.TusClient(f"{b.base}/api/v1/uploads", headers=auth).uploader(
            str(clip), url=url_b, chunk_size=len(data)
        )
        assert second.offset == half, f"B sees offset {second.offset}, not {half}"
        second.upload()  # the rest on B
        head = b.call("HEAD", url_b.split("/api/v1/", 1)[1], alice["access"], headers={"Tus-Resumable": "1.0.0"})
        assert head.headers.get("Upload-Offset") == str(len(data)), dict(head.headers)
        video_id = head.headers["Video-Id"]
        s3 = s3_client(s3_endpoint)
        sources = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"videos/{video_id}/source/")["Contents"]]
        assert len(sources) == 1, f"the source objects: {sources}"  # no pending object left
        stored = s3.get_object(Bucket=BUCKET, Key=sources[0])["Body"].read()
        assert stored == data, f"the stored source differs ({len(stored)} bytes, {stored.count(0)} zero bytes)"
        started = time.monotonic()
        ready = {}

        def is_ready():
            api = (a, b)[int(time.monotonic()) % 2]  # polled on both
            video = api.call("GET", f"videos/{video_id}", alice["access"]).json()
            assert video["status"] != "failed", f"transcoding failed: {video.get('error')}"
            ready.update(video)
            return video["status"] == "ready"

        wait_for(f"video {video_id} ready", is_ready, 150, 1)
        took = time.monotonic() - started
        hls_url = ready["hls_url"]
        assert hls_url and hls_url.startswith(s3_endpoint), f"hls_url is not on S3: {hls_url}"
        master = requests.get(hls_url, timeout=30)
        assert master.status_code == 200 and master.text.startswith("#EXTM3U"), master.status_code
        variant = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
        playlist = requests.get(requests.compat.urljoin(hls_url, variant), timeout=30)
        assert playlist.status_code == 200 and "#EXTINF" in playlist.text, playlist.status_code
        return f"{len(data)} bytes byte-identical on S3, ready {took:.1f} s later, HLS served from S3"

    def live_path() -> str:
        alice, bob = users["alice"], users["bob"]
        via_front = requests.get(
            f"{front['base']}/api/v1/me", headers={"Authorization": f"Bearer {alice['access']}"}, timeout=30
        )
        assert via_front.status_code == 200, f"the API through the nginx front: {via_front.status_code}"
        stream = alice.get("stream")
        if stream is None:
            response = a.call("POST", "live/streams", alice["access"], json={"title": "scale-out broadcast"})
            assert response.status_code == 201, f"stream on A: {response.status_code} {response.text[:200]}"
            stream = response.json()
        stream_id, key = stream["id"], stream["stream_key"]
        publisher = rtmp_publish(f"rtmp://127.0.0.1:{front['rtmp']}/live/{key}", seconds=8)
        try:
            live = wait_for(
                "the stream live on B",
                lambda: (
                    (d := b.call("GET", f"live/streams/{stream_id}", bob["access"]).json())["status"] == "live" and d
                ),
                30,
            )
            hls_url = live["hls_url"]
            assert key not in hls_url, "the stream key is in the HLS URL"
            wait_for(
                "live HLS from nginx",
                lambda: "#EXTINF" in (r := requests.get(hls_url, timeout=5)).text and r.status_code == 200,
                30,
            )
            assert publisher.wait(timeout=60) == 0, publisher.stderr.read().decode()[-500:]
        finally:
            if publisher.poll() is None:
                publisher.kill()
                publisher.wait(timeout=10)
        wait_for(
            "the stream ended (read on A)",
            lambda: a.call("GET", f"live/streams/{stream_id}", alice["access"]).json()["status"] == "ended",
            30,
        )

        def replay_ready():
            recordings = b.call("GET", f"live/streams/{stream_id}", alice["access"]).json()["recordings"]
            video_id = next((r["video_id"] for r in recordings if r["video_id"]), None)
            if video_id is None:
                return None
            video = a.call("GET", f"videos/{video_id}", alice["access"]).json()
            assert video.get("status") != "failed", f"the replay failed: {video.get('error')}"
            # Ready, and public: its links go to S3 once anonymous viewers may see it (a new video
            # may be ready a moment before its checks let everyone see it).
            public = (video.get("hls_url") or "").startswith(s3_endpoint)
            return video if video.get("status") == "ready" and public else None

        replay = wait_for("the replay video ready and public", replay_ready, 150, 1)
        assert replay["hls_url"].startswith(s3_endpoint), replay["hls_url"]
        return f"RTMP into nginx → live on B → HLS from nginx → ended on A → replay {replay['id']} ready on S3"

    checks.run("a JWT from A works on B", tokens_everywhere)
    if "alice" not in users or "bob" not in users:
        return checks
    checks.run("refresh rotation across servers", refresh_rotation)
    checks.run("a post on A appears in a follower's feed read on B", feed_across)
    checks.run("a notification created via A is pushed to a websocket on B", notification_push)
    checks.run("chat sent on A reaches a listener on B", chat_across)
    checks.run("a tus upload split across A and B ends ready with HLS from S3", tus_split_to_hls_on_s3)
    if front is None:
        log("skip the live path: no nginx with the RTMP module here (.ci/run installs them)")
    else:
        checks.run("live: RTMP through the nginx front, HLS, replay on S3", live_path)
    return checks


# --- the run --------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scaleout", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) afterwards")
    args = parser.parse_args(argv)

    # The whole run is bounded: SIGALRM ends it (the finally blocks still stop everything).
    def out_of_time(*_):
        OUT_OF_TIME.set()
        raise TimeoutError(f"scaleout: over its {TOTAL_BUDGET_S} s budget")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TOTAL_BUDGET_S)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="sf-scaleout-"))
    tag = uuid.uuid4().hex[:8]
    ensure_services()
    resources = Resources(tag)
    processes = Processes(workdir)
    checks: Checks | None = None
    try:
        broker = resources.make()
        s3_port = free_port()
        s3_endpoint = f"http://127.0.0.1:{s3_port}"
        moto_env = {**os.environ, "AWS_ACCESS_KEY_ID": MOTO_KEY, "AWS_SECRET_ACCESS_KEY": MOTO_KEY}
        processes.start("moto", [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)], moto_env)
        wait_for("moto S3 server", lambda: requests.get(s3_endpoint, timeout=2).status_code < 500, 60)
        s3 = s3_client(s3_endpoint)
        s3.create_bucket(Bucket=BUCKET)
        # AWS_QUERYSTRING_AUTH=false: browsers fetch media anonymously, so the bucket allows public
        # reads (and CORS for hls.js) as docs/deploy.md tells an operator to configure it.
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_READ))
        s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration=CORS)

        ports = {"a": free_port(), "b": free_port()}
        front_ports = {"front": free_port(), "rtmp": free_port(), "hls": free_port()}
        ingest_secret = secrets.token_urlsafe(24)
        common = {
            # Identical everywhere (docs/deploy.md): the keys, the services, the bucket.
            "SECRET_KEY": secrets.token_urlsafe(50),
            "LIVE_INGEST_SECRET": ingest_secret,
            # The ingest writes recordings where the workers read them: the one shared directory.
            "LIVE_RECORDINGS_DIR": str(workdir / "live" / "live-recordings"),
            "LIVE_RTMP_URL": f"rtmp://127.0.0.1:{front_ports['rtmp']}/live",
            "LIVE_HLS_BASE_URL": f"http://127.0.0.1:{front_ports['hls']}/hls",
            "LIVE_RECONNECT_GRACE_S": "0",  # publish-done ends the stream at once
            "LIVE_RECORDING_SETTLE_S": "0",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
            "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "CELERY_BROKER_URL": broker,
            "CACHE_KEY_PREFIX": f"sfscale{tag}",
            "CHANNEL_LAYER_PREFIX": f"sfscale{tag}:asgi",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": s3_endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": MOTO_KEY,
            "AWS_SECRET_ACCESS_KEY": MOTO_KEY,
            "AWS_QUERYSTRING_AUTH": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{ports['a']}",
            "THROTTLE_REGISTER": "1000/hour",
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "console",
            "DJANGO_SETTINGS_MODULE": "socialflow.settings",
        }
        log(f"work dir {workdir}; broker {broker}; S3 {s3_endpoint}")
        migrate = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=REPO,
            env=app_env(workdir, "migrate", common),
            capture_output=True,
            text=True,
            # The release step: dj-stripe's own migrations alone take minutes on a busy 2-core box.
            timeout=600,
        )
        if migrate.returncode != 0:
            log(f"migrate failed:\n{migrate.stderr[-3000:]}")
            return 2
        log(f"migrated once ({time.monotonic() - started:.0f} s)")
        for name, port in ports.items():
            processes.start(
                f"web-{name}",
                [PYTHON, "-m", "uvicorn", "socialflow.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
                + ["--lifespan", "off", "--proxy-headers", "--timeout-keep-alive", "75", "--log-level", "warning"]
                # A connection still open at the stop must not hold it past the run's bound.
                + ["--timeout-graceful-shutdown", "10"],
                app_env(workdir, f"web-{name}", common),
            )
        processes.start(
            "worker",
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "socialflow",
                "worker",
                "-Q",
                "celery,transcode,moderation",
                "--concurrency",
                "2",
            ]
            + ["--loglevel", "WARNING", "--hostname", f"scaleout-{tag}@%h"],
            app_env(workdir, "worker", common),
        )
        processes.start(
            "beat",
            [PYTHON, "-m", "celery", "-A", "socialflow", "beat", "--loglevel", "WARNING"]
            + ["--schedule", str(workdir / "celerybeat-schedule")],
            app_env(workdir, "beat", common),
        )
        a, b = (Api(name.upper(), f"http://127.0.0.1:{port}") for name, port in ports.items())
        front = None
        nginx, module = find_nginx()
        if nginx and module:
            # The ingest's callbacks go to web A; the front proxies to it as deploy/nginx-rtmp.conf does.
            config = render_front(
                workdir, app=f"127.0.0.1:{ports['a']}", secret=ingest_secret, module=module, ports=front_ports
            )
            processes.start("nginx", [nginx, "-p", str(workdir), "-c", str(config), "-g", "daemon off;"], os.environ)
            front = {**front_ports, "base": f"http://127.0.0.1:{front_ports['front']}"}
        for api in (a, b):
            wait_for(f"web {api.name} /readyz", lambda api=api: requests.get(f"{api.base}/readyz", timeout=5).ok, 90)
        if front is not None:
            wait_for("the nginx front", lambda: requests.get(f"{front['base']}/livez", timeout=5).ok, 30)
        log(
            f"two web processes, a worker, beat, S3 and {'the nginx front' if front else 'no nginx'} up "
            f"({time.monotonic() - started:.0f} s)"
        )
        checks = run_checks(a, b, s3_endpoint, workdir, front)
        if processes.dead():
            checks.failed.append(f"processes died: {processes.dead()}")
    except Exception as exc:
        log(f"the topology failed: {type(exc).__name__}: {exc}")
        for name in processes.running:
            log(f"--- {name}.log (tail)\n{processes.tail(name)}")
        return 2
    finally:
        signal.alarm(0)
        killed = processes.stop_all()
        if killed:
            log(f"killed after SIGTERM did not stop them: {killed}")
        resources.release()
        if checks is not None and checks.failed:
            for name in processes.running:
                log(f"--- {name}.log (tail)\n{processes.tail(name)}")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        log(f"stopped everything after {time.monotonic() - started:.0f} s")
    print(f"scaleout: {len(checks.passed)} passed, {len(checks.failed)} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

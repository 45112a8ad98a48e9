"""Real clients: requests for the REST API, tuspy for the upload, websockets for chat and the
notification socket. Every call is recorded (status, latency, phase); every loop is bounded."""

from __future__ import annotations

import contextlib
import json
import random
import statistics
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

PASSWORD = "smoke-Passw0rd-4711"  # noqa: S105 (throwaway accounts on a throwaway stack)


@dataclass
class Call:
    phase: str
    what: str
    status: int  # 0: no HTTP answer (connection error, timeout)
    seconds: float
    retry_after: str | None = None


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.phase = "traffic"

    def add(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def figures(self, phase: str | None = None) -> dict:
        calls = [c for c in self.calls if phase is None or c.phase == phase]
        latencies = sorted(c.seconds for c in calls) or [0.0]
        return {
            "requests": len(calls),
            "5xx": sum(1 for c in calls if c.status >= 500),
            "503": sum(1 for c in calls if c.status == 503),
            "no_answer": sum(1 for c in calls if c.status == 0),
            "4xx": sum(1 for c in calls if 400 <= c.status < 500),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000, 1),
            "max_ms": round(latencies[-1] * 1000, 1),
        }


@dataclass
class User:
    username: str
    session: requests.Session = field(default_factory=requests.Session)
    token: str = ""
    following: set[str] = field(default_factory=set)


class Client:
    def __init__(self, base: str, recorder: Recorder, timeout_s: float = 15):
        self.base = base
        self.recorder = recorder
        self.timeout_s = timeout_s

    def call(self, user: User | None, method: str, path: str, what: str | None = None, **kwargs):
        session = user.session if user else requests
        started = time.monotonic()
        try:
            response = session.request(method, f"{self.base}/api/v1/{path}", timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            seconds = time.monotonic() - started
            self.recorder.add(Call(self.recorder.phase, what or f"{method} {path}", 0, seconds))
            print(f"[smoke] no answer to {method} {path} after {seconds:.2f} s: {exc!r}", flush=True)
            return None
        self.recorder.add(
            Call(
                self.recorder.phase,
                what or f"{method} {path}",
                response.status_code,
                time.monotonic() - started,
                response.headers.get("Retry-After"),
            )
        )
        return response

    def register(self, username: str) -> User:
        user = User(username)
        body = {"username": username, "email": f"{username}@smoke.test", "password": PASSWORD}
        response = self.call(None, "POST", "auth/register", "POST auth/register", json=body)
        assert response is not None and response.status_code == 201, response and response.text
        response = self.call(
            None, "POST", "auth/token", "POST auth/token", json={"username": username, "password": PASSWORD}
        )
        assert response is not None and response.status_code == 200, response and response.text
        user.token = response.json()["access"]
        user.session.headers["Authorization"] = f"Bearer {user.token}"
        return user

    def post(self, user: User, text: str, attempts: int = 3) -> int | None:
        """Create a post with an Idempotency-Key, retrying (same key) on no answer or 5xx."""
        key = str(uuid.uuid4())
        for attempt in range(attempts):
            response = self.call(
                user, "POST", "posts", "POST posts", json={"text": text}, headers={"Idempotency-Key": key}
            )
            if response is not None and response.status_code == 201:
                return int(response.json()["id"])
            if response is not None and response.status_code < 500:
                return None
            time.sleep(0.5 * (attempt + 1))
        return None

    def pages(self, user: User, path: str, max_pages: int = 50) -> list[dict]:
        results, url = [], f"{self.base}/api/v1/{path}"
        for _ in range(max_pages):
            response = user.session.get(url, timeout=self.timeout_s)
            response.raise_for_status()
            body = response.json()
            results.extend(body["results"])
            url = body.get("next")
            if not url:
                break
        return results


def make_clip(path: Path) -> Path:
    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=15",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "3",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
        timeout=120,
    )
    return path


def tus_upload(client: Client, user: User, clip: Path) -> int:
    from tusclient import client as tus

    started = time.monotonic()
    uploader = tus.TusClient(
        f"{client.base}/api/v1/uploads", headers={"Authorization": f"Bearer {user.token}"}
    ).uploader(str(clip), chunk_size=64 * 1024, metadata={"filename": clip.name, "title": "smoke clip"})
    uploader.upload()
    client.recorder.add(Call(client.recorder.phase, "tus upload", 204, time.monotonic() - started))
    response = client.call(
        user, "HEAD", uploader.url.split("/api/v1/", 1)[1], "HEAD uploads/{id}", headers={"Tus-Resumable": "1.0.0"}
    )
    return int(response.headers["Video-Id"])


class Chat:
    """Chatters send numbered messages over ``ws/live/<id>/chat/``; a listener collects them."""

    def __init__(self, client: Client, stream_id: int, users: list[User], listener: User):
        self.client = client
        self.ws_base = client.base.replace("http://", "ws://")
        self.stream_id = stream_id
        self.users = users
        self.listener = listener
        self.sent: list[str] = []
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.errors: list[str] = []

    def url(self, user: User) -> str:
        return f"{self.ws_base}/ws/live/{self.stream_id}/chat/?token={user.token}"

    def listen(self, stop: threading.Event) -> None:
        try:
            with ws_connect(self.url(self.listener), open_timeout=10) as socket:
                while not stop.is_set():
                    try:
                        frame = json.loads(socket.recv(timeout=1))
                    except TimeoutError:
                        continue
                    if frame.get("type") == "chat.message":
                        with self.lock:
                            self.received[frame["text"]] += 1
        except (ConnectionClosed, OSError) as exc:
            self.errors.append(f"listener: {exc!r}")

    def talk(self, user: User, stop: threading.Event, interval_s: float = 1.5) -> None:
        try:
            with ws_connect(self.url(user), open_timeout=10) as socket:
                n = 0
                while not stop.is_set() and n < 200:
                    text = f"{user.username} says {n}"
                    started = time.monotonic()
                    socket.send(json.dumps({"type": "chat.send", "text": text}))
                    with self.lock:
                        self.sent.append(text)
                    self.client.recorder.add(
                        Call(self.client.recorder.phase, "ws chat.send", 101, time.monotonic() - started)
                    )
                    n += 1
                    # A chat client reads its room: one that never does fills its receive queue,
                    # stops reading the socket, and then misses the pongs of its own keepalive.
                    until = time.monotonic() + interval_s
                    while not stop.is_set() and time.monotonic() < until:
                        with contextlib.suppress(TimeoutError):
                            socket.recv(timeout=max(0.0, until - time.monotonic()))
        except (ConnectionClosed, OSError) as exc:
            self.errors.append(f"{user.username}: {exc!r}")


def actions(client: Client, users: list[User], acked: dict[int, str], lock: threading.Lock, deadline: float) -> None:
    """One client thread: random actions until the deadline (bounded by count too)."""
    rng = random.Random()
    for _ in range(5000):
        if time.monotonic() > deadline:
            return
        user = rng.choice(users)
        roll = rng.random()
        if roll < 0.35:
            mention = rng.choice(users).username
            post_id = client.post(user, f"smoke post {uuid.uuid4().hex[:8]} hello @{mention} #smoke")
            if post_id is not None:
                with lock:
                    acked[post_id] = user.username
        elif roll < 0.65:
            client.call(user, "GET", "feed/home", "GET feed/home")
        elif roll < 0.75:
            client.call(user, "GET", "notifications", "GET notifications")
        elif roll < 0.85 and acked:
            with lock:
                post_id = rng.choice(list(acked))
            client.call(user, "POST", f"posts/{post_id}/like", "POST posts/{id}/like")
        elif roll < 0.92:
            client.call(user, "GET", "me", "GET me")
        else:
            client.call(None, "GET", "videos", "GET videos")
        time.sleep(rng.uniform(0.02, 0.1))

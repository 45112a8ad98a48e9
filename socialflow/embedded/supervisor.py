"""supervisord's configuration for the platform's processes on one machine.

Each program restarts when it dies (``autorestart``); one that dies again within ``startsecs`` of
starting is retried with supervisord's growing back-off (1 s, 2 s, 3 s, …) up to ``startretries``
times. Every program runs in its own process group and is stopped as a group, so a worker's ffmpeg
goes with it. Output goes to supervisord's own standard output (the terminal of ``make run``), where supervisord
also says which program it started, which one died and how, and which one it restarted.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Program:
    name: str
    command: list[str]
    priority: int  # started in ascending order, stopped in descending order
    stop_wait_s: int = 10
    start_s: int = 3
    environment: dict[str, str] = field(default_factory=dict)  # on top of supervisord's own


def web_workers_from_env() -> int:
    """``WEB_WORKERS``: ASGI worker processes of the web program; default one per CPU core."""
    raw = os.environ.get("WEB_WORKERS", "").strip()
    if not raw:
        return os.cpu_count() or 1
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"WEB_WORKERS={raw!r}: give a whole number of processes, at least 1")
    return int(raw)


def web_command(*, bin_dir: Path, host: str, port: int, workers: int) -> list[str]:
    """The ASGI server: ``workers`` uvicorn processes sharing one listening socket.

    With more than one, uvicorn's parent process only supervises: it replaces a worker that dies
    or stops answering its health ping, and on SIGTERM/SIGINT stops every worker and waits for them.
    """
    return (
        [str(bin_dir / "uvicorn"), "socialflow.asgi:application", "--host", host, "--port", str(port)]
        + ["--workers", str(workers), "--lifespan", "off", "--proxy-headers", "--log-level", "warning"]
        # Idle keep-alive connections stay open longer than a client or proxy keeps them idle,
        # so the server is not the one closing a connection just as a request goes out on it.
        + ["--timeout-keep-alive", "75"]
        # No permessage-deflate: chat frames are a few hundred bytes (little to gain), and the
        # server would compress each one once per socket (docs/live.md).
        + ["--ws-per-message-deflate", "false"]
    )


def programs(
    *,
    bin_dir: Path,
    host: str,
    port: int,
    var_dir: Path,
    redis_command: list[str] | None,
    local_stripe: bool = False,
    web_workers: int = 1,
) -> list[Program]:
    celery = str(bin_dir / "celery")
    listed = []
    if redis_command:
        listed.append(Program("redis", redis_command, priority=10, stop_wait_s=30, start_s=1))
    listed += [
        Program(
            "web",
            web_command(bin_dir=bin_dir, host=host, port=port, workers=web_workers),
            priority=20,
            # Every worker writes its Prometheus samples here and /metrics sums them, whichever
            # worker answers the scrape (prometheus_client's multiprocess mode).
            environment={"PROMETHEUS_MULTIPROC_DIR": str(prometheus_dir(var_dir))},
        ),
        # A warm shutdown lets running tasks finish (a transcode may take a while).
        Program(
            "worker",
            [celery, "-A", "socialflow", "worker", "-Q", "celery,transcode,moderation", "--concurrency", "2"]
            + ["--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            priority=30,
            stop_wait_s=60,
        ),
        # One beat per deployment: never inside a worker, so scaling workers never duplicates it.
        Program(
            "beat",
            [celery, "-A", "socialflow", "beat", "--loglevel", "INFO"]
            + ["--schedule", str(var_dir / "celerybeat-schedule")],
            priority=40,
        ),
        Program("live", [str(bin_dir / "python"), "manage.py", "live_ingest"], priority=40),
    ]
    if local_stripe:
        # The local Stripe-compatible server (no STRIPE_SECRET_KEY): loopback, fresh state per start,
        # signed webhooks to the web program (monetization/devstripe).
        listed.append(Program("stripe", [str(bin_dir / "python"), "manage.py", "devstripe"], priority=15, start_s=2))
    return listed


def prometheus_dir(var_dir: Path) -> Path:
    return var_dir / "run" / "prometheus-web"


def render(*, programs: list[Program], var_dir: Path, directory: Path) -> str:
    """The configuration file's text; programs inherit supervisord's environment."""
    run_dir = var_dir / "run"
    sections = [
        f"""[supervisord]
nodaemon=true
logfile={run_dir / "supervisord.log"}
loglevel=info
pidfile={run_dir / "supervisord.pid"}
childlogdir={run_dir}

[unix_http_server]
file={run_dir / "supervisor.sock"}
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{run_dir / "supervisor.sock"}
"""
    ]
    for program in programs:
        environment = ",".join(f"{key}={_quoted(value)}" for key, value in program.environment.items())
        sections.append(
            f"""[program:{program.name}]
command={shlex.join(program.command)}
directory={directory}
priority={program.priority}
autostart=true
autorestart=true
startsecs={program.start_s}
startretries=50
stopsignal=TERM
stopwaitsecs={program.stop_wait_s}
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
"""
            + (f"environment={environment}\n" if environment else "")
        )
    return "\n".join(sections)


def _quoted(value: str) -> str:
    # supervisord's environment= syntax: a double-quoted value, backslash escapes.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'

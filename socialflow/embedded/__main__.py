"""``python -m socialflow.embedded run|serve``: the whole platform on one machine (``make run``).

``run`` sets up first — migrations, the demo data (once; never with ``DATABASE_URL``), static files — against the embedded
Redis, which it then stops; ``serve`` skips that. Both then replace themselves with supervisord in
the foreground, which starts Redis (unless ``REDIS_URL`` names another), the ASGI server, the Celery
worker, beat, the RTMP ingest and, without real Stripe keys, the local Stripe-compatible server
(``manage.py devstripe``), restarts whichever dies, and stops them all on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from socialflow.embedded.redis_server import DEFAULT_PORT, EmbeddedRedis, ping, server_arguments
from socialflow.embedded.supervisor import programs, prometheus_dir, render, web_workers_from_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


def _manage(*args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=BASE_DIR, check=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m socialflow.embedded", description=__doc__)
    parser.add_argument("command", choices=["run", "serve"])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    try:
        web_workers = web_workers_from_env()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2

    var_dir = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var").resolve()
    (var_dir / "run").mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ.setdefault("SITE_URL", f"http://{args.host}:{args.port}")
    # This runs exactly one worker, so whatever is unacknowledged when it starts was taken by a
    # worker that died: put it back at once (socialflow/reliability/unacked.py).
    os.environ.setdefault("CELERY_RESTORE_UNACKED_ON_START", "true")
    embedded_redis = not os.environ.get("REDIS_URL")
    redis_port = int(os.environ.get("EMBEDDED_REDIS_PORT") or DEFAULT_PORT)
    if embedded_redis and ping(redis_port):
        print(
            f"Something already answers on 127.0.0.1:{redis_port} (is another `make run` running?). "
            "Stop it, or choose another port with EMBEDDED_REDIS_PORT=….",
            file=sys.stderr,
        )
        return 1

    if args.command == "run":
        if embedded_redis:
            with EmbeddedRedis(var_dir, redis_port):
                _setup()
        else:
            _setup()

    redis_command = server_arguments(var_dir, redis_port) if embedded_redis else None
    # The web workers' metric files: a fresh start counts from zero (no dead process's gauges).
    shutil.rmtree(prometheus_dir(var_dir), ignore_errors=True)
    prometheus_dir(var_dir).mkdir(parents=True)
    config = render(
        programs=programs(
            bin_dir=BIN,
            host=args.host,
            port=args.port,
            var_dir=var_dir,
            redis_command=redis_command,
            # Without real Stripe keys, payments go to the local Stripe-compatible server.
            local_stripe=not (os.environ.get("STRIPE_SECRET_KEY") or os.environ.get("STRIPE_SECRET_KEY_FILE")),
            web_workers=web_workers,
        ),
        var_dir=var_dir,
        directory=BASE_DIR,
    )
    config_path = var_dir / "run" / "supervisord.conf"
    config_path.write_text(config)
    print(
        f"Social Flow on http://{args.host}:{args.port}/  (API docs /api/docs/, admin /admin/, studio /studio/; "
        f"{web_workers} web worker{'s' if web_workers != 1 else ''}, WEB_WORKERS)",
        flush=True,
    )
    supervisord = str(BIN / "supervisord")
    os.execv(supervisord, [supervisord, "--configuration", str(config_path)])  # noqa: S606 (no shell: our argv)
    return 0  # not reached


def _setup() -> None:
    _manage("migrate", "--noinput")
    # dj-stripe's record of our webhook endpoint and its secret (idempotent).
    _manage("stripe_webhook_endpoint")
    if not os.environ.get("DATABASE_URL"):
        # The demo accounts have a public password: only in the embedded database (or `make demo`).
        _manage("seed_demo")
    _manage("collectstatic", "--noinput", "-v", "0")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

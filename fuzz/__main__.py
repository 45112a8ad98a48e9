"""Fuzz the served API against its own OpenAPI schema: ``python -m fuzz`` (``make fuzz``).

Boots the app for real in the embedded mode (a fresh SQLite database and media directory in a
temporary folder, seeded with the demo data), serves it with uvicorn on a free loopback port and
runs schemathesis over ``/api/schema/`` as a seeded user with a Bearer token. Every operation gets
a bounded number of generated cases; the run fails on a server error or on a response that does
not match the schema (status code, content type, body).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from socialflow.embedded.redis_server import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# A seeded creator: she owns videos, posts and streams, so owner-only paths are reached too.
FUZZ_USER = "alice"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Operations that end the fuzzing user's session or account would turn every later case into a 401.
EXCLUDED_OPERATIONS = ("me_destroy", "auth_logout_create", "auth_password_change_create")


def _free_port() -> int:
    wanted = os.environ.get("FUZZ_PORT")
    if wanted:
        return int(wanted)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(env: dict) -> str:
    """Migrate and seed a fresh database, record dj-stripe's webhook endpoint; return an access
    token of a seeded user."""
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"], ["stripe_webhook_endpoint"]):
        subprocess.run([str(BIN / "python"), "manage.py", *command], cwd=ROOT, env=env, check=True)
    script = (
        "import django; django.setup();"
        "from rest_framework_simplejwt.tokens import RefreshToken;"
        "from accounts.models import User;"
        f"print(RefreshToken.for_user(User.objects.get(username={FUZZ_USER!r})).access_token)"
    )
    out = subprocess.run(
        [str(BIN / "python"), "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def _wait_ready(url: str, server: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URL we built)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url} within {timeout_s:.0f} s")


def _wait_listening(port: int, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the local Stripe server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise SystemExit(f"the local Stripe server did not listen on {port} within {timeout_s:.0f} s")


def main() -> int:
    examples = os.environ.get("FUZZ_EXAMPLES", "15")
    with tempfile.TemporaryDirectory(prefix="sf-fuzz-") as var_dir:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "socialflow.settings",
            "VAR_DIR": var_dir,
            "DEBUG": "false",
            # 4xx answers are the point of fuzzing; a server error's traceback is still printed.
            "LOG_LEVEL": "ERROR",
            # One fuzzing client sends thousands of requests a minute; the throttles are not under test.
            "THROTTLE_ANON": "1000000/min",
            "THROTTLE_USER": "1000000/min",
            "THROTTLE_LOGIN": "1000000/min",
            "THROTTLE_REGISTER": "1000000/min",
            "THROTTLE_PASSWORD_RESET": "1000000/min",
        }
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"):
            env.pop(name, None)
        # The embedded mode's own redis-server, on a port of its own.
        redis = EmbeddedRedis(Path(var_dir), persistent=False).start()
        env["EMBEDDED_REDIS_PORT"] = str(redis.port)
        try:
            return _serve_and_fuzz(env, var_dir, examples)
        finally:
            redis.stop()


def _serve_and_fuzz(env: dict, var_dir: str, examples: str) -> int:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # Payments answer from the embedded mode's local Stripe-compatible server, as under make run
    # (without it every payment operation is a 503); its signed webhooks come back to this server.
    env["STRIPE_LOCAL_PORT"] = str(_free_port())
    env["SITE_URL"] = base
    token = _prepare(env)
    stripe = subprocess.Popen([str(BIN / "python"), "manage.py", "devstripe"], cwd=ROOT, env=env)
    server = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "socialflow.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_ready(f"{base}/api/schema/", server)
        _wait_listening(int(env["STRIPE_LOCAL_PORT"]), stripe)
        command = [
            str(BIN / "schemathesis"),
            "run",
            f"{base}/api/schema/",
            "--checks",
            CHECKS,
            "--max-examples",
            examples,
            "--header",
            f"Authorization: Bearer {token}",
            # One worker: schemathesis' threads race in CPython 3.11's ast (hypothesis lambda
            # sources: "AST constructor recursion depth mismatch"), a runtime error, not a finding.
            "--workers",
            os.environ.get("FUZZ_WORKERS", "1"),
            "--seed",
            os.environ.get("FUZZ_SEED", "1"),
            # The coverage phase is not bounded by --max-examples (it alone takes minutes here);
            # FUZZ_PHASES=examples,coverage,fuzzing runs it too.
            "--phases",
            os.environ.get("FUZZ_PHASES", "examples,fuzzing"),
            "--request-timeout",
            "30",
            "--no-color",
        ]
        for operation_id in EXCLUDED_OPERATIONS:
            command += ["--exclude-operation-id", operation_id]
        command += sys.argv[1:]
        return subprocess.run(command, cwd=var_dir, env=env).returncode
    finally:
        for process in (server, stripe):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())

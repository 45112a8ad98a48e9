"""bench chat: 1,000 websocket clients in one live room at 10 messages/s (BENCHMARKS.md), then the
highest rate that still meets p99 <= 250 ms with 0 lost and 0 disconnects.

The server is the real one, run as ``make run`` runs it: ``socialflow.embedded.supervisor.web_command``
— several uvicorn worker processes (CHAT_BENCH_WORKERS, default WEB_WORKERS, default one per core),
each with its chat room hub (``live.lib.hub``: one Redis pub/sub subscription per room per process,
each message decoded once and its text frame written to every local socket), one stream, REDIS_URL.
The clients are one Node process
(bench/chat_load.js, the ``ws`` package from package.json's devDependencies: ``npm ci``), so the
load generator is not the bottleneck; its CPU time, its send lag and its event-loop delay are
reported beside the figures. CHAT_BENCH_SENDERS of the sockets are signed in and take turns
sending (by default enough that none sends more than 1 msg/s, under the room's 3-per-2-s limit);
every socket, senders included, receives every message and measures send->receive latency.

The baseline, interleaved with each chat phase: the same fan-out (same generator, sockets, rate,
duration and frame size) over bare Redis pub/sub: one PUBLISH per message, every client a
SUBSCRIBE connection. Server CPU: the uvicorn processes' user+system time while sending (and the
Redis server's, from INFO, in both phases).

Knobs (env): CHAT_BENCH_CLIENTS=1000, CHAT_BENCH_RATES=10 (comma-separated msg/s, each run in
turn; the first is the headline figure), CHAT_BENCH_SECONDS=60 (at least 10),
CHAT_BENCH_SENDERS=auto, CHAT_BENCH_WORKERS, CHAT_BENCH_ROUNDS=1 (baseline, chat, baseline, … per
rate; the median round is reported), CHAT_BENCH_WS=auto (uvicorn --ws), CHAT_BENCH_DEFLATE=true
(permessage-deflate offered by the clients, as browsers do), CHAT_BENCH_SERVER_DEFLATE (unset: the
server declines it, as ``web_command`` runs uvicorn; ``true`` accepts it, to compare),
CHAT_BENCH_PORT=8104. Needs REDIS_URL and node.
"""

import json
import math
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from bench.common import Result, setup_django
from socialflow.embedded.supervisor import web_command, web_workers_from_env

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "chat_load.js"
TARGET_P99_MS = 250
GRACE_S = 5.0  # receivers keep reading this long after the last send
SETTLE_S = 3.0  # after connecting, before sending: the connect burst's viewer counts go by


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _raise_nofile(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted))
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _cpu_s(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _redis_cpu_s(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _redis_target(redis_url: str) -> dict:
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        return {"path": parts.path, "password": parts.password}
    return {"host": parts.hostname or "127.0.0.1", "port": parts.port or 6379, "password": parts.password}


def _generate(config: dict, *, server: list[psutil.Process], redis_client) -> dict:
    """Run the Node generator once; sample server and Redis CPU from SENDING to RESULT."""
    process = subprocess.Popen(
        ["node", str(GENERATOR), json.dumps(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: _raise_nofile(config["clients"] + 1000),
    )
    result, marks = None, {}
    for line in process.stdout:
        kind, _, payload = line.strip().partition(" ")
        if kind == "READY":
            print(f"  {config['mode']}: {payload}", file=sys.stderr, flush=True)
        elif kind in ("SENDING", "RESULT"):
            marks[kind] = (time.monotonic(), _cpu_s(server), _redis_cpu_s(redis_client))
            if kind == "RESULT":
                result = json.loads(payload)
    process.wait(timeout=60)
    if result is None:
        raise RuntimeError(f"the chat load generator failed (exit {process.returncode}); is `ws` installed (npm ci)?")
    (t0, server0, redis0), (t1, server1, redis1) = marks["SENDING"], marks["RESULT"]
    if server:
        result["server_cpu_s"] = round(server1 - server0, 2)
        result["server_cpu_pct"] = round((server1 - server0) / (t1 - t0) * 100, 1)
    result["redis_cpu_s"] = round(redis1 - redis0, 2)
    return result


def _prepare_room(senders: int) -> tuple[int, list[str]]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from live import selectors, services

    call_command("migrate", verbosity=0)
    User = get_user_model()
    owner, _ = User.objects.get_or_create(username="bench_streamer", defaults={"email": "bench_streamer@example.com"})
    active = selectors.stream_active_for_owner(user=owner)
    if active is not None:
        services.stream_end(stream=active)
    stream = services.stream_create(owner=owner, title="Chat benchmark")
    services.stream_go_live(stream=stream)
    tokens = []
    for index in range(senders):
        user, _ = User.objects.get_or_create(
            username=f"bench_chatter{index}", defaults={"email": f"bench_chatter{index}@example.com"}
        )
        tokens.append(str(AccessToken.for_user(user)))
    return stream.pk, tokens


def _start_server(port: int, workers: int, clients: int, metrics_dir: str) -> subprocess.Popen:
    command = web_command(bin_dir=Path(sys.executable).parent, host="127.0.0.1", port=port, workers=workers)
    command += ["--no-access-log", "--ws-max-queue", "1024", "--ws", os.environ.get("CHAT_BENCH_WS", "auto")]
    if os.environ.get("CHAT_BENCH_SERVER_DEFLATE"):  # to compare; web_command turns it off
        command += ["--ws-per-message-deflate", os.environ["CHAT_BENCH_SERVER_DEFLATE"]]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        # Persistent DB connections, as a production ASGI server runs (one connection per thread).
        env={
            "DATABASE_CONN_MAX_AGE": "60",
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        },
        preexec_fn=lambda: _raise_nofile(clients * 2 + 1000),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    # Every worker up (each imports Django on its own) before the clients arrive.
    while time.monotonic() < deadline and len(psutil.Process(server.pid).children()) < (workers if workers > 1 else 0):
        time.sleep(0.2)
    time.sleep(3)
    return server


def _median_round(rounds: list[dict]) -> dict:
    ordered = sorted(rounds, key=lambda r: r["p99_ms"] if r["p99_ms"] is not None else math.inf)
    chosen = dict(ordered[len(ordered) // 2])
    if len(rounds) > 1:
        chosen["p99_ms_rounds"] = [r["p99_ms"] for r in rounds]
    return chosen


def _met(chat: dict) -> bool:
    return (
        chat["p99_ms"] is not None
        and chat["p99_ms"] <= TARGET_P99_MS
        and chat["lost"] == 0
        and chat["disconnects"] == 0
        and chat["connect_failures"] == 0
        and chat["send_failures"] == 0
        and not chat["errors"]
    )


def run() -> Result:
    import redis

    target = f"p99 <= {TARGET_P99_MS} ms, 0 lost, 0 disconnects"
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        return Result("chat", "skipped: needs REDIS_URL", target, "bare Redis pub/sub", 0.0, "n/a", False)
    if shutil.which("node") is None:
        return Result("chat", "skipped: needs node", target, "bare Redis pub/sub", 0.0, "n/a", False)
    clients = _env_int("CHAT_BENCH_CLIENTS", 1000)
    rates = [float(r) for r in os.environ.get("CHAT_BENCH_RATES", "10").split(",") if r.strip()]
    seconds = max(10, _env_int("CHAT_BENCH_SECONDS", 60))
    rounds = max(1, _env_int("CHAT_BENCH_ROUNDS", 1))
    port = _env_int("CHAT_BENCH_PORT", 8104)
    workers = _env_int("CHAT_BENCH_WORKERS", 0) or web_workers_from_env()
    deflate = os.environ.get("CHAT_BENCH_DEFLATE", "true").lower() in ("1", "true", "yes")
    server_deflate = os.environ.get("CHAT_BENCH_SERVER_DEFLATE", "false").lower() in ("1", "true", "yes")
    # Each sender at most 1 msg/s: under the room's rate limit (3 per 2 s), as real chatters are.
    senders = min(clients, _env_int("CHAT_BENCH_SENDERS", 0) or max(50, math.ceil(max(rates))))
    _raise_nofile(clients * 2 + 1000)
    load_before = os.getloadavg()

    setup_django()
    stream_id, tokens = _prepare_room(senders)
    redis_client = redis.Redis.from_url(redis_url)
    common = {"clients": clients, "seconds": seconds, "grace_s": GRACE_S, "settle_s": SETTLE_S}
    common |= {"connect_concurrency": 50, "deflate": deflate}
    url = f"ws://127.0.0.1:{port}/ws/live/{stream_id}/chat/"
    metrics_dir = tempfile.mkdtemp(prefix="sf-chat-bench-metrics-")
    server = _start_server(port, workers, clients, metrics_dir)
    by_rate = []
    try:
        server_processes = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
        for rate in rates:
            chat_rounds, baseline_rounds = [], []
            for index in range(rounds):
                print(f"chat bench: {clients} sockets x {rate:g} msg/s, round {index + 1}", file=sys.stderr)
                channel = f"bench:chat:{os.getpid()}:{rate:g}:{index}"
                baseline_rounds.append(
                    _generate(
                        {**common, "mode": "redis", "rate": rate, "tokens": []}
                        | {"redis": {**_redis_target(redis_url), "channel": channel}},
                        server=[],
                        redis_client=redis_client,
                    )
                )
                chat_rounds.append(
                    _generate(
                        {**common, "mode": "ws", "rate": rate, "url": url, "origin": f"http://127.0.0.1:{port}"}
                        | {"tokens": tokens},
                        server=server_processes,
                        redis_client=redis_client,
                    )
                )
            chat, baseline = _median_round(chat_rounds), _median_round(baseline_rounds)
            by_rate.append({"rate_per_s": rate, "met": _met(chat), "chat": chat, "redis_pubsub": baseline})
            print(
                f"  {rate:g} msg/s: chat p50 {chat['p50_ms']} p99 {chat['p99_ms']} ms lost {chat['lost']}"
                f" disc {chat['disconnects']} server cpu {chat.get('server_cpu_pct')} %"
                f" generator cpu {chat['generator_cpu_pct']} % | pub/sub p99 {baseline['p99_ms']} ms",
                file=sys.stderr,
                flush=True,
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    headline = by_rate[0]
    chat, baseline = headline["chat"], headline["redis_pubsub"]
    met_rates = [r["rate_per_s"] for r in by_rate if r["met"]]
    ratio = baseline["p99_ms"] / chat["p99_ms"] if chat["p99_ms"] else 0.0
    return Result(
        scenario="chat",
        figure=f"{headline['rate_per_s']:g}/s: p99 {chat['p99_ms']} ms, lost {chat['lost']}, disc {chat['disconnects']}",
        target=target,
        baseline=f"bare Redis pub/sub p99 {baseline['p99_ms']} ms, lost {baseline['lost']}",
        ratio=round(ratio, 3),
        ratio_meaning="Redis pub/sub p99 / chat p99",
        met=headline["met"],
        details={
            "clients": clients,
            "seconds": seconds,
            "senders": senders,
            "uvicorn_workers": workers,
            "deflate_offered": deflate,
            "deflate_accepted": server_deflate,
            "rounds": rounds,
            "cores": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "highest_rate_met": max(met_rates) if met_rates else None,
            "by_rate": by_rate,
        },
    )

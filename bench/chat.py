"""bench chat: 1,000 websocket clients in one live room, 50 messages/s for 60 s (BENCHMARKS.md).

A real uvicorn server (socialflow.asgi, port CHAT_BENCH_PORT=8104) with the chat's channels-redis
pub/sub layer (REDIS_URL) serves one stream. CHAT_BENCH_SENDERS signed-in clients send chat
messages at CHAT_BENCH_RATE msg/s in total; every client (senders included) receives every
message. Each message carries its send time (one clock: all clients run on this machine), so
send->receive latency, losses (expected = sent x clients) and unexpected disconnects are exact.

The baseline, in the same run: the same fan-out (same clients, rate and duration) over bare Redis
pub/sub — one PUBLISH per message, every client a SUBSCRIBE connection.

Knobs (env): CHAT_BENCH_CLIENTS=1000, CHAT_BENCH_RATE=50, CHAT_BENCH_SECONDS=60 (at least 20),
CHAT_BENCH_SENDERS=50, CHAT_BENCH_PROCS=4 (client processes), CHAT_BENCH_WORKERS=1 (uvicorn
workers), CHAT_BENCH_WS=auto (uvicorn --ws), CHAT_BENCH_DEFLATE=true (uvicorn
--ws-per-message-deflate), CHAT_BENCH_PORT=8104. Needs REDIS_URL.
"""

import asyncio
import json
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Result, percentile, setup_django

ROOT = Path(__file__).resolve().parent.parent
GRACE_S = 5.0  # receivers keep reading this long after the last send
SAMPLES_PER_PROC = 20_000


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _raise_nofile(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted))
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _sample(latencies: list[float]) -> list[float]:
    ordered = sorted(latencies)
    if len(ordered) <= SAMPLES_PER_PROC:
        return ordered
    step = len(ordered) / SAMPLES_PER_PROC
    return [ordered[int(i * step)] for i in range(SAMPLES_PER_PROC)] + [ordered[-1]]


# --- websocket clients ----------------------------------------------------------------------------


async def _read_until_stopped(recv, stop) -> object | None:
    """The next item from ``recv()``, or None once the orchestrator set ``stop`` and time is up."""
    while True:
        deadline = stop.value
        if deadline and time.time() >= deadline:
            return None
        try:
            return await asyncio.wait_for(recv(), timeout=1.0)
        except TimeoutError:
            continue


async def _ws_receivers(url: str, origin: str, tokens: list[str | None], ready, stop) -> dict:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    latencies: list[float] = []
    stats = {"received": 0, "disconnects": 0, "connect_failures": 0, "connected": 0}
    semaphore = asyncio.Semaphore(50)

    sockets = []

    async def open_one(token):
        target = f"{url}?token={token}" if token else url
        async with semaphore:
            try:
                sockets.append(
                    await connect(target, origin=origin, open_timeout=120, max_queue=None, ping_interval=None)
                )
            except Exception:
                stats["connect_failures"] += 1

    async def client(ws):
        try:
            while True:
                raw = await _read_until_stopped(ws.recv, stop)
                if raw is None:
                    break
                now = time.time()
                frame = json.loads(raw)
                if frame.get("type") == "chat.message" and frame["text"].startswith("bench "):
                    sent = float(frame["text"].split()[2])
                    latencies.append(now - sent)
                    stats["received"] += 1
        except ConnectionClosed:
            stats["disconnects"] += 1
        finally:
            await ws.close()

    await asyncio.gather(*(open_one(token) for token in tokens))
    stats["connected"] = len(sockets)
    ready.put(len(sockets))
    await asyncio.gather(*(client(ws) for ws in sockets))
    return {**stats, "latencies": _sample(latencies)}


async def _redis_receivers(redis_url: str, channel: str, count: int, ready, stop) -> dict:
    import redis.asyncio as aioredis

    latencies: list[float] = []
    stats = {"received": 0, "disconnects": 0, "connect_failures": 0, "connected": 0}
    semaphore = asyncio.Semaphore(50)

    subscribers = []

    async def open_one():
        connection = aioredis.Redis.from_url(redis_url)
        pubsub = connection.pubsub()
        async with semaphore:
            try:
                await pubsub.subscribe(channel)
                await pubsub.get_message(timeout=5)  # the subscribe confirmation
                subscribers.append((connection, pubsub))
            except Exception:
                stats["connect_failures"] += 1
                await connection.aclose()

    async def client(connection, pubsub):
        async def next_message():
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    return message

        try:
            while True:
                message = await _read_until_stopped(next_message, stop)
                if message is None:
                    break
                now = time.time()
                frame = json.loads(message["data"])
                latencies.append(now - frame["sent"])
                stats["received"] += 1
        except Exception:
            stats["disconnects"] += 1
        finally:
            await pubsub.aclose()
            await connection.aclose()

    await asyncio.gather(*(open_one() for _ in range(count)))
    stats["connected"] = len(subscribers)
    ready.put(len(subscribers))
    await asyncio.gather(*(client(connection, pubsub) for connection, pubsub in subscribers))
    return {**stats, "latencies": _sample(latencies)}


def _worker(kind: str, args: tuple, results) -> None:
    _raise_nofile(20000)
    if kind == "ws":
        results.put(asyncio.run(_ws_receivers(*args)))
    else:
        results.put(asyncio.run(_redis_receivers(*args)))


SENDER_DISCONNECTS: list[int] = []


async def _ws_senders(url: str, origin: str, tokens: list[str], rate: int, start_at: float, seconds: int) -> int:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, WebSocketException

    sockets = [
        await connect(f"{url}?token={token}", origin=origin, ping_interval=None, open_timeout=120) for token in tokens
    ]
    # Senders' own incoming frames are read by the receivers' copies; drain them here.
    drains = [asyncio.create_task(_drain(ws)) for ws in sockets]
    await asyncio.sleep(max(0.0, start_at - time.time()))
    sent = 0
    interval = 1.0 / rate
    next_at = time.time()
    end = next_at + seconds
    failed = 0
    while next_at < end:
        index = (sent + failed) % len(sockets)
        try:
            await sockets[index].send(json.dumps({"type": "chat.send", "text": f"bench {sent} {time.time():.6f}"}))
            sent += 1
        except ConnectionClosed:  # counted, and the sender comes back
            failed += 1
            SENDER_DISCONNECTS.append(index)
            try:
                sockets[index] = await connect(
                    f"{url}?token={tokens[index]}", origin=origin, ping_interval=None, open_timeout=60
                )
                drains.append(asyncio.create_task(_drain(sockets[index])))
            except (OSError, TimeoutError, WebSocketException):
                pass  # retried at this sender's next turn
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.time()))
    await asyncio.sleep(GRACE_S)
    for task in drains:
        task.cancel()
    for ws in sockets:
        await ws.close()
    return sent


async def _drain(ws) -> None:
    try:
        async for _ in ws:
            pass
    except Exception:
        pass


async def _redis_publisher(redis_url: str, channel: str, rate: int, start_at: float, seconds: int) -> int:
    import redis.asyncio as aioredis

    connection = aioredis.Redis.from_url(redis_url)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    sent = 0
    interval = 1.0 / rate
    next_at = time.time()
    end = next_at + seconds
    while next_at < end:
        # The same work per message as chat's fan-out gets: one encoded frame, one PUBLISH.
        await connection.publish(channel, json.dumps({"type": "chat.message", "id": str(sent), "sent": time.time()}))
        sent += 1
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.time()))
    await asyncio.sleep(GRACE_S)
    await connection.aclose()
    return sent


# --- orchestration --------------------------------------------------------------------------------


def _split(items: list, parts: int) -> list[list]:
    return [items[i::parts] for i in range(parts)]


def _run_phase(kind: str, *, clients: int, procs: int, seconds: int, sender_coro, receiver_args) -> dict:
    """Connect every receiver first, then send from this process; receivers read until told to stop."""
    context = multiprocessing.get_context("fork")
    results, ready = context.Queue(), context.Queue()
    stop = context.Value("d", 0.0)
    workers = []
    for args in receiver_args():
        process = context.Process(target=_worker, args=(kind, (*args, ready, stop), results), daemon=True)
        process.start()
        workers.append(process)
    connect_started = time.time()
    for _ in workers:
        ready.get(timeout=900)
    connect_s = time.time() - connect_started
    start_at = time.time() + 1.0
    sent = asyncio.run(sender_coro(start_at))  # returns GRACE_S after its last send
    stop.value = time.time()
    merged = {"received": 0, "disconnects": 0, "connect_failures": 0, "connected": 0, "latencies": []}
    for _ in workers:
        part = results.get(timeout=300)
        for key in ("received", "disconnects", "connect_failures", "connected"):
            merged[key] += part[key]
        merged["latencies"].extend(part["latencies"])
    for process in workers:
        process.join(timeout=30)
    receivers = merged["connected"]
    expected = sent * receivers
    lat_ms = [x * 1000 for x in merged["latencies"]]
    return {
        "sent": sent,
        "clients_connected": receivers,
        "connect_all_s": round(connect_s, 1),
        "connect_failures": merged["connect_failures"],
        "expected": expected,
        "received": merged["received"],
        "lost": max(0, expected - merged["received"]),
        "disconnects": merged["disconnects"],
        "p50_ms": round(percentile(lat_ms, 50), 2),
        "p99_ms": round(percentile(lat_ms, 99), 2),
        "max_ms": round(max(lat_ms), 2) if lat_ms else None,
    }


def _prepare_room(clients: int, senders: int) -> tuple[int, list[str]]:
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


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not start on port {port}")


def run() -> Result:
    target = "p99 <= 250 ms, 0 lost, 0 disconnects"
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        return Result("chat", "skipped: needs REDIS_URL", target, "bare Redis pub/sub", 0.0, "n/a", False)
    clients = _env_int("CHAT_BENCH_CLIENTS", 1000)
    rate = _env_int("CHAT_BENCH_RATE", 50)
    seconds = max(20, _env_int("CHAT_BENCH_SECONDS", 60))
    senders = min(clients, _env_int("CHAT_BENCH_SENDERS", 50))
    procs = max(1, _env_int("CHAT_BENCH_PROCS", 4))
    port = _env_int("CHAT_BENCH_PORT", 8104)
    workers = _env_int("CHAT_BENCH_WORKERS", 1)
    _raise_nofile(clients * 2 + 1000)

    setup_django()
    stream_id, sender_tokens = _prepare_room(clients, senders)
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "socialflow.asgi:application"),
            *("--host", "127.0.0.1", "--port", str(port), "--lifespan", "off", "--log-level", "warning"),
            *("--workers", str(workers), "--ws-max-queue", "1024", "--ws", os.environ.get("CHAT_BENCH_WS", "auto")),
            *("--ws-per-message-deflate", os.environ.get("CHAT_BENCH_DEFLATE", "true")),
        ],
        cwd=ROOT,
        # Persistent DB connections, as a production ASGI server runs (one connection per thread).
        env={"DATABASE_CONN_MAX_AGE": "60", **os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: _raise_nofile(clients * 2 + 1000),
    )
    try:
        _wait_for_port(port)
        url = f"ws://127.0.0.1:{port}/ws/live/{stream_id}/chat/"
        origin = f"http://127.0.0.1:{port}"
        # Senders are clients too: each sender token also gets a receiving socket.
        receiver_tokens: list[str | None] = [*sender_tokens, *([None] * (clients - senders))]
        chat = _run_phase(
            "ws",
            clients=clients,
            procs=procs,
            seconds=seconds,
            sender_coro=lambda start_at: _ws_senders(url, origin, sender_tokens, rate, start_at, seconds),
            receiver_args=lambda: [(url, origin, part) for part in _split(receiver_tokens, procs)],
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    channel = f"bench:chat:{os.getpid()}"
    baseline = _run_phase(
        "redis",
        clients=clients,
        procs=procs,
        seconds=seconds,
        sender_coro=lambda start_at: _redis_publisher(redis_url, channel, rate, start_at, seconds),
        receiver_args=lambda: [(redis_url, channel, len(part)) for part in _split(list(range(clients)), procs)],
    )
    chat["disconnects"] += len(SENDER_DISCONNECTS)
    met = chat["p99_ms"] <= 250 and chat["lost"] == 0 and chat["disconnects"] == 0 and chat["connect_failures"] == 0
    ratio = baseline["p99_ms"] / chat["p99_ms"] if chat["p99_ms"] else 0.0
    return Result(
        scenario="chat",
        figure=f"p99 {chat['p99_ms']} ms, lost {chat['lost']}, disc {chat['disconnects']}",
        target=target,
        baseline=f"bare Redis pub/sub p99 {baseline['p99_ms']} ms, lost {baseline['lost']}",
        ratio=round(ratio, 3),
        ratio_meaning="Redis pub/sub p99 / chat p99",
        met=met,
        details={
            "clients": clients,
            "rate_per_s": rate,
            "seconds": seconds,
            "senders": senders,
            "client_processes": procs,
            "uvicorn_workers": workers,
            "chat": chat,
            "redis_pubsub": baseline,
        },
    )

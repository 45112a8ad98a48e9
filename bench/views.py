"""Watch heartbeats: ``POST /api/v1/videos/{id}/watch`` at full speed through the real ASGI app.

A uvicorn server (socialflow.asgi, ``--workers 2``, port VIEWS_BENCH_PORT=8105) answers the
heartbeats; wrk (64 connections, 2 threads, a Lua script) posts them for VIEWS_BENCH_VIEWERS
signed-in viewers (one session each, opened by ``view_start``), each viewer's watched time
growing by VIEWS_BENCH_STEP_MS per heartbeat. At the round's deadline the script stops posting
heartbeats (it polls ``/livez`` until wrk stops), so every heartbeat sent has its answer: the
count of 200s and each session's highest acknowledged ``watched_ms`` are exact. The rate counts
the 200s after a warm-up of VIEWS_BENCH_WARMUP_S (the first heartbeats of each viewer and worker
fill the access caches); the exactness check counts them all. Then the flush
(``analytics.services.tracking_flush``) runs, and the round checks that analytics holds exactly
that: one heartbeat row per 200, and watch time (raw rows, ``VideoDay``, ``VideoView``) equal to
the sum of the sessions' acknowledged watched time.

Baseline in the same run: a bare Redis INCR loop at the same concurrency, from as many Python
processes as the server has workers (redis.asyncio, no HTTP, no auth): the cost floor of one
Redis round trip from Python. Rounds interleave: baseline, subject, baseline, ... (BENCH_ROUNDS
subjects, one more baseline); each subject's ratio is against the mean of the baselines around it.

Knobs (env): BENCH_ROUNDS=3, VIEWS_BENCH_SECONDS=10, VIEWS_BENCH_WARMUP_S=3, VIEWS_BENCH_VIEWERS=256,
VIEWS_BENCH_CONNECTIONS=64, VIEWS_BENCH_THREADS=2, VIEWS_BENCH_WORKERS=2, VIEWS_BENCH_STEP_MS=10,
VIEWS_BENCH_PORT=8105. Embedded default: a temporary VAR_DIR (SQLite) and its own persistent
redis-server on a free port. PostgreSQL + Redis:
  createdb -h 127.0.0.1 -U postgres sf_bench_views
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_bench_views REDIS_URL=redis://127.0.0.1:6379/6 \
  .venv/bin/python -m bench views
"""

import asyncio
import math
import multiprocessing
import os
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Result, setup_django, start_server

ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_S = 5000
GRACE_S = 3  # wrk runs this much past the deadline, so the last heartbeats get their answers

WRK_SCRIPT = r"""
local views = {
%(views)s
}
local deadline = %(deadline)d
local measure_from = %(measure_from)d
local step = %(step)d
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[1])
  mine = {}
  for i, v in ipairs(views) do
    if (i - 1) %% nthreads == tid then table.insert(mine, v) end
  end
  seq, maxw = {}, {}
  for i = 1, #mine do seq[i] = 0 end
  idx, ok, measured, bad, after = 0, 0, 0, 0, 0
  livez = wrk.format("GET", "/livez")
end

function request()
  if os.time() >= deadline then
    after = after + 1
    return livez
  end
  idx = idx %% #mine + 1
  local v = mine[idx]
  seq[idx] = seq[idx] + 1
  local w = seq[idx] * step
  local body = '{"view_id":"' .. v[3] .. '","position_ms":' .. w .. ',"watched_ms":' .. w .. '}'
  return wrk.format("POST", v[1], {["Authorization"] = v[2], ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local view_id, watched = string.match(body, '"view_id":"([^"]+)","watched_ms":(%%d+)')
  if status == 200 and view_id then
    ok = ok + 1
    if os.time() >= measure_from then measured = measured + 1 end
    watched = tonumber(watched)
    if (maxw[view_id] or 0) < watched then maxw[view_id] = watched end
  elseif status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write("HB_OK ", t:get("ok"), "\n")
    io.write("HB_MEASURED ", t:get("measured"), "\n")
    io.write("HB_BAD ", t:get("bad"), "\n")
    for k, v in pairs(t:get("maxw")) do io.write("HB_MAX ", k, " ", v, "\n") end
  end
  io.write(string.format("HB_LAT %%.3f %%.3f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# --- the baseline: a bare Redis INCR loop ------------------------------------------------------


async def _incr_loop(url: str, concurrency: int, seconds: float, key: str) -> int:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, max_connections=concurrency)
    deadline = time.monotonic() + seconds
    counts = [0] * concurrency

    async def one(i: int):
        while time.monotonic() < deadline:
            await client.incr(key)
            counts[i] += 1

    await asyncio.gather(*(one(i) for i in range(concurrency)))
    await client.aclose()
    return sum(counts)


def _incr_process(args) -> int:
    return asyncio.run(_incr_loop(*args))


def incr_baseline(url: str, *, processes: int, connections: int, seconds: float) -> float:
    key = f"bench:views:incr:{os.getpid()}"
    per_process = max(1, connections // processes)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        started = time.monotonic()
        total = sum(pool.map(_incr_process, [(url, per_process, seconds, key)] * processes))
        elapsed = time.monotonic() - started
    return total / max(elapsed, seconds)


# --- the subject: heartbeats under wrk ---------------------------------------------------------


def _open_round(viewers, author):
    """A fresh video and one session per viewer (``view_start``: the row and its Redis state)."""
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from videos import services
    from videos.models import Video

    video = Video.objects.create(
        author=author,
        title=f"views bench {time.time():.0f}",
        status=Video.Status.READY,
        visibility="public",
        duration_ms=4 * 3600 * 1000,
        progress=100,
        published_at=timezone.now(),
        ready_at=timezone.now(),
    )
    views = []
    for user in viewers:
        view = services.view_start(video=video, user=user, ip="127.0.0.1", user_agent="bench")
        token = f"Bearer {AccessToken.for_user(user)}"
        views.append((f"/api/v1/videos/{video.pk}/watch", token, str(view.pk)))
    return video, views


def _run_wrk(port: int, views, *, seconds: int, warmup: int, connections: int, threads: int, step: int) -> dict:
    measure_from = math.ceil(time.time()) + warmup
    deadline = measure_from + seconds
    lines = ",\n".join(f'  {{"{path}", "{token}", "{view_id}"}}' for path, token, view_id in views)
    script = WRK_SCRIPT % {"views": lines, "deadline": deadline, "measure_from": measure_from, "step": step}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        started = time.time()
        duration = deadline - started + GRACE_S
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{math.ceil(duration)}s", "--timeout", "10s"]
            + ["-s", handle.name, f"http://127.0.0.1:{port}", "--", str(threads)],
            capture_output=True,
            text=True,
            timeout=duration + 60,
        )
    finally:
        os.unlink(handle.name)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr[-2000:]}")
    ok = sum(int(m) for m in re.findall(r"^HB_OK (\d+)$", out.stdout, re.M))
    measured = sum(int(m) for m in re.findall(r"^HB_MEASURED (\d+)$", out.stdout, re.M))
    bad = sum(int(m) for m in re.findall(r"^HB_BAD (\d+)$", out.stdout, re.M))
    maxw = {k: int(v) for k, v in re.findall(r"^HB_MAX (\S+) (\d+)$", out.stdout, re.M)}
    lat = re.search(r"^HB_LAT (\S+) (\S+)$", out.stdout, re.M)
    errors = re.search(r"Socket errors: (.*)$", out.stdout, re.M)
    return {
        "accepted": ok,
        "refused_or_failed": bad,
        "warmup_s": round(measure_from - started, 3),
        "window_s": seconds,
        "accepted_in_window": measured,
        "accepted_per_s": round(measured / seconds, 1),
        "watched_acknowledged_ms": sum(maxw.values()),
        "sessions_answered": len(maxw),
        "wrk_latency_p50_ms_incl_livez": float(lat[1]) if lat else None,
        "wrk_latency_p99_ms_incl_livez": float(lat[2]) if lat else None,
        "wrk_socket_errors": errors[1] if errors else "none",
    }


def _check_exact(video, run: dict) -> dict:
    """Flush, then compare analytics with what the server acknowledged."""
    from django.db.models import Sum

    from analytics import services as analytics_services
    from analytics.models import RawEvent, VideoDay
    from videos import heartbeats
    from videos.models import VideoView

    pending = heartbeats.pending()
    started = time.monotonic()
    flushed = analytics_services.tracking_flush()
    flush_s = time.monotonic() - started
    rows = RawEvent.objects.filter(kind="heartbeat", video_id=video.pk)
    raw_count = rows.count()
    raw_watch = rows.aggregate(total=Sum("watched_ms"))["total"] or 0
    day_watch = VideoDay.objects.filter(video_id=video.pk).aggregate(total=Sum("watch_time_ms"))["total"] or 0
    session_watch = VideoView.objects.filter(video=video).aggregate(total=Sum("watched_ms"))["total"] or 0
    expected_watch = run["watched_acknowledged_ms"]
    exact = raw_count == run["accepted"] and raw_watch == day_watch == session_watch == expected_watch
    return {
        "exact": exact,
        "pending_before_flush": pending,
        "flush_s": round(flush_s, 2),
        "flushed": flushed,
        "heartbeat_rows": raw_count,
        "watch_time_raw_ms": raw_watch,
        "watch_time_videoday_ms": day_watch,
        "watch_time_sessions_ms": session_watch,
        "watch_time_acknowledged_ms": expected_watch,
    }


def _prepare() -> tuple[list, object, object]:
    """Settings, an isolated embedded Redis and database unless configured, and the viewers."""
    made = None
    redis_server = None
    if os.environ.get("DATABASE_URL"):
        # Settings insist on a shared key outside the embedded mode; the server inherits this one.
        os.environ.setdefault("SECRET_KEY", "bench-views-" + secrets.token_urlsafe(32))
    needs_var_dir = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
    if needs_var_dir and "VAR_DIR" not in os.environ:
        made = os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="sf-bench-views-")
    if not os.environ.get("REDIS_URL"):
        from socialflow.embedded.redis_server import EmbeddedRedis, free_port

        port = free_port()
        os.environ["EMBEDDED_REDIS_PORT"] = str(port)  # the server inherits it
        redis_server = EmbeddedRedis(Path(os.environ["VAR_DIR"]), port=port, persistent=True).start()
    setup_django()
    from django.core.management import call_command

    from accounts.models import User

    call_command("migrate", verbosity=0, interactive=False)
    count = _env_int("VIEWS_BENCH_VIEWERS", 256)
    names = [f"bench_views_{i}" for i in range(count)]
    have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=n, email=f"{n}@socialflow.local", password="!") for n in names if n not in have]
    )
    author, _ = User.objects.get_or_create(username="bench_views_author", defaults={"email": "bva@socialflow.local"})
    viewers = list(User.objects.filter(username__in=names).order_by("pk"))
    return viewers, author, (made, redis_server)


def run() -> Result:
    target = f">={TARGET_PER_S}/s accepted, exact"
    if shutil.which("wrk") is None:
        return Result("views", "skipped: needs wrk (apt-get install wrk)", target, "bare Redis INCR", 0.0, "n/a", False)
    rounds = max(1, _env_int("BENCH_ROUNDS", 3))
    seconds = _env_int("VIEWS_BENCH_SECONDS", 10)
    warmup = _env_int("VIEWS_BENCH_WARMUP_S", 3)
    connections = _env_int("VIEWS_BENCH_CONNECTIONS", 64)
    threads = _env_int("VIEWS_BENCH_THREADS", 2)
    workers = _env_int("VIEWS_BENCH_WORKERS", 2)
    step = _env_int("VIEWS_BENCH_STEP_MS", 10)
    port = _env_int("VIEWS_BENCH_PORT", 8105)

    viewers, author, (made, redis_server) = _prepare()
    from django.conf import settings

    server = start_server(port, extra_args=("--workers", str(workers)))
    baselines: list[float] = []
    subjects: list[dict] = []
    try:
        for index in range(rounds):
            baselines.append(
                incr_baseline(settings.REDIS_URL, processes=workers, connections=connections, seconds=seconds)
            )
            video, views = _open_round(viewers, author)
            result = _run_wrk(
                port, views, seconds=seconds, warmup=warmup, connections=connections, threads=threads, step=step
            )
            result.update(_check_exact(video, result))
            result["loadavg"] = [round(x, 2) for x in os.getloadavg()]
            subjects.append(result)
            print(f"  round {index + 1}: {result['accepted_per_s']}/s, exact={result['exact']}", flush=True)
        baselines.append(incr_baseline(settings.REDIS_URL, processes=workers, connections=connections, seconds=seconds))
    finally:
        server.terminate()
        server.wait(timeout=20)
        if redis_server is not None:
            redis_server.stop()
        if made:
            shutil.rmtree(made, ignore_errors=True)

    rates = [s["accepted_per_s"] for s in subjects]
    ratios = [s["accepted_per_s"] / ((baselines[i] + baselines[i + 1]) / 2) for i, s in enumerate(subjects)]
    median_rate = statistics.median(rates)
    exact = all(s["exact"] for s in subjects)
    return Result(
        scenario="views",
        figure=f"{median_rate:,.0f} heartbeats/s accepted (median of {rounds}), exact: {'yes' if exact else 'NO'}",
        target=target,
        baseline=f"bare Redis INCR loop {statistics.median(baselines):,.0f}/s",
        ratio=round(statistics.median(ratios), 3),
        ratio_meaning="heartbeats/s / INCR/s at the same concurrency (median; min/max in details)",
        met=median_rate >= TARGET_PER_S and exact,
        details={
            "rounds": subjects,
            "baseline_incr_per_s": [round(b, 1) for b in baselines],
            "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3),
            "ratios": [round(r, 3) for r in ratios],
            "rate_min": min(rates),
            "rate_max": max(rates),
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "server": f"uvicorn --workers {workers}",
            "load": f"wrk -t{threads} -c{connections}, {len(viewers)} viewers, {seconds} s per round",
            "database": settings.DATABASES["default"]["ENGINE"],
            "redis": settings.REDIS_URL,
            "cpus": os.cpu_count(),
        },
    )

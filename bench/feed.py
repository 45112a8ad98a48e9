"""Home feed: ``GET /api/v1/feed/home`` (first page of 20) through the real HTTP stack.

Workload (BENCHMARKS.md): 10,000 users, 500,000 posts, a reader following 1,000 accounts, loaded
by ``posts.lib.benchdata`` (COPY on PostgreSQL). A uvicorn server is started on FEED_BENCH_PORT
(8103) with the same environment and SERVER_TIMING on; the reader's first request rebuilds the cold
timeline, then FEED_BENCH_REQUESTS sequential requests are timed: the round trip as the client sees
it and the server time from each response's ``Server-Timing`` header (socialflow.server_timing).
Baseline in the same run: the naive pull query ``author IN following ORDER BY created_at DESC
LIMIT 20`` (with authors joined), timed in-process, in FEED_BENCH_ROUNDS rounds of baseline then
feed; the ratio is the median of the rounds' ratios (min and max beside it).

Knobs: FEED_BENCH_USERS, FEED_BENCH_POSTS, FEED_BENCH_FOLLOWING, FEED_BENCH_REQUESTS, FEED_BENCH_ROUNDS,
FEED_BENCH_PORT,
FEED_BENCH_SERVER_SETTINGS (a settings module for the server only, for experiments).
Run against PostgreSQL + Redis:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_posts_bench REDIS_URL=redis://127.0.0.1:6379/14 \
  .venv/bin/python -m bench feed
"""

import os
import statistics
import subprocess
import time
from pathlib import Path

from bench.common import Result, percentile, setup_django, start_server, summary_ms

ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _server_time(response) -> float:
    """Seconds from ``Server-Timing: app;dur=<ms>`` (socialflow.server_timing)."""
    header = response.headers.get("Server-Timing", "")
    for metric in header.split(","):
        name, _, rest = metric.strip().partition(";")
        if name == "app" and rest.startswith("dur="):
            return float(rest[4:]) / 1000
    raise RuntimeError(f"no Server-Timing app duration in {header!r} (is SERVER_TIMING on?)")


def _start_server(port: int) -> subprocess.Popen:
    # FEED_BENCH_SERVER_SETTINGS: another settings module for the server only (experiments such
    # as a database connection pool); the default is the project's settings.
    env = {
        "DJANGO_SETTINGS_MODULE": os.environ.get("FEED_BENCH_SERVER_SETTINGS", "socialflow.settings"),
        "SERVER_TIMING": "true",  # server time per request, apart from the round trip
    }
    if "DATABASE_CONN_MAX_AGE" not in os.environ:
        env["DATABASE_CONN_MAX_AGE"] = "60"  # used only when DATABASE_POOL=false
    return start_server(port, env=env)


def run() -> Result:
    setup_django()
    import requests
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from posts.feeds import get_store
    from posts.lib.benchdata import feed_dataset
    from posts.models import Post

    users = _env_int("FEED_BENCH_USERS", 10_000)
    posts = _env_int("FEED_BENCH_POSTS", 500_000)
    following = _env_int("FEED_BENCH_FOLLOWING", 1_000)
    n_requests = _env_int("FEED_BENCH_REQUESTS", 500)
    n_rounds = _env_int("FEED_BENCH_ROUNDS", 5)
    port = _env_int("FEED_BENCH_PORT", 8103)

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    data = feed_dataset(users=users, posts=posts, following=following)
    load_s = time.monotonic() - started
    reader = User.objects.get(pk=data["reader_id"])
    store = get_store()
    store.clear(user_id=reader.pk)  # start cold: the first read rebuilds from the database

    # Baseline: the naive pull query, same page size, authors joined, timed in-process. Rounds of
    # baseline then subject (FEED_BENCH_ROUNDS), so both see the same load on this shared machine.
    following_ids = data["following_ids"]

    def naive_pull() -> float:
        t0 = time.perf_counter()
        list(
            Post.objects.filter(author_id__in=following_ids, deleted_at__isnull=True)
            .select_related("author")
            .order_by("-created_at")[:20]
        )
        return time.perf_counter() - t0

    def timed_get(session, url: str) -> tuple[float, float, requests.Response]:
        """(round trip, server time from the Server-Timing header) in seconds, and the response."""
        t0 = time.perf_counter()
        response = session.get(url, headers=headers, timeout=10)
        round_trip = time.perf_counter() - t0
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
        return round_trip, _server_time(response), response

    token = str(RefreshToken.for_user(reader).access_token)
    headers = {"Authorization": f"Bearer {token}"}
    load_before = os.getloadavg()
    server = _start_server(port)
    round_trips: list[float] = []
    server_times: list[float] = []
    naive: list[float] = []
    rounds = []
    try:
        session = requests.Session()
        url = f"http://127.0.0.1:{port}/api/v1/feed/home"
        t0 = time.perf_counter()
        first = session.get(url, headers=headers, timeout=60)
        cold_s = time.perf_counter() - t0
        first.raise_for_status()
        assert len(first.json()["results"]) == 20, first.text[:500]
        for _ in range(20):  # warm-up
            session.get(url, headers=headers, timeout=10)
        per_round = max(1, n_requests // n_rounds)
        for _ in range(n_rounds):
            round_naive = [naive_pull() for _ in range(max(1, per_round // 2))]
            round_rt, round_server = [], []
            for _ in range(per_round):
                rt, st, _ = timed_get(session, url)
                round_rt.append(rt)
                round_server.append(st)
            naive += round_naive
            round_trips += round_rt
            server_times += round_server
            naive_p50 = percentile(round_naive, 50)
            rounds.append(
                {
                    "naive_p50_ms": round(naive_p50 * 1000, 3),
                    "server_p50_ms": round(percentile(round_server, 50) * 1000, 3),
                    "round_trip_p50_ms": round(percentile(round_rt, 50) * 1000, 3),
                    "ratio_server": round(naive_p50 / percentile(round_server, 50), 2),
                    "ratio_round_trip": round(naive_p50 / percentile(round_rt, 50), 2),
                }
            )
        page2 = session.get(first.json()["next"], headers=headers, timeout=10)
        page2.raise_for_status()
        # Context: the same stack answering a trivial authenticated list (auth + one small query).
        floor_rt, floor_server = [], []
        floor_url = f"http://127.0.0.1:{port}/api/v1/follow-requests"
        for _ in range(max(50, n_requests // 5)):
            rt, st, _ = timed_get(session, floor_url)
            floor_rt.append(rt)
            floor_server.append(st)
    finally:
        server.terminate()
        server.wait(timeout=10)
    load_after = os.getloadavg()

    client = Client()
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/feed/home", HTTP_AUTHORIZATION=f"Bearer {token}")
    n_queries = len(queries.captured_queries)

    server_ms = summary_ms(server_times)
    rt_ms = summary_ms(round_trips)
    base = summary_ms(naive)
    ratios = sorted(r["ratio_server"] for r in rounds)
    rt_ratios = sorted(r["ratio_round_trip"] for r in rounds)
    ratio = statistics.median(ratios)
    met = server_ms["p50_ms"] <= 10 and server_ms["p99_ms"] <= 30 and n_queries <= 6 and ratio >= 10
    return Result(
        scenario="feed",
        figure=f"server p50 {server_ms['p50_ms']:.2f} ms, p99 {server_ms['p99_ms']:.2f} ms; round trip p50 "
        f"{rt_ms['p50_ms']:.2f} ms, p99 {rt_ms['p99_ms']:.2f} ms; {n_queries} queries",
        target="server p50<=10ms p99<=30ms, <=6 queries, >=10x",
        baseline=f"naive pull p50 {base['p50_ms']:.2f} ms",
        ratio=ratio,
        ratio_meaning=f"naive pull p50 / feed server p50, median of {n_rounds} rounds (min {ratios[0]}, "
        f"max {ratios[-1]}); over the round trip: median {statistics.median(rt_ratios)} "
        f"(min {rt_ratios[0]}, max {rt_ratios[-1]})",
        met=met,
        details={
            "feed_server_time": server_ms,
            "feed_round_trip": rt_ms,
            "naive_pull_query": base,
            "rounds": rounds,
            "ratio_server_median_min_max": [ratio, ratios[0], ratios[-1]],
            "ratio_round_trip_median_min_max": [statistics.median(rt_ratios), rt_ratios[0], rt_ratios[-1]],
            "queries_per_page": n_queries,
            "trivial_endpoint_server_time": summary_ms(floor_server),
            "trivial_endpoint_round_trip": summary_ms(floor_rt),
            "cold_first_request_ms": round(cold_s * 1000, 1),
            "load_average_before_after": [round(x, 2) for x in (*load_before, *load_after)],
            "store": type(store).__name__,
            "users": users,
            "posts": posts,
            "following": following,
            "requests": n_requests,
            "dataset_load_s": round(load_s, 1),
            "server": f"uvicorn 1 process, settings {os.environ.get('FEED_BENCH_SERVER_SETTINGS', 'socialflow.settings')}",
            "database": settings.DATABASES["default"]["ENGINE"],
        },
    )

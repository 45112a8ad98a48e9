"""Home feed: ``GET /api/v1/feed/home`` (first page of 20) through the real HTTP stack.

Workload (BENCHMARKS.md): 10,000 users, 500,000 posts, a reader following 1,000 accounts, loaded
by ``posts.lib.benchdata`` (COPY on PostgreSQL). A uvicorn server is started on FEED_BENCH_PORT
(8103) with the same environment; the reader's first request rebuilds the cold timeline, then
FEED_BENCH_REQUESTS sequential requests are timed. Baseline in the same run: the naive pull query
``author IN following ORDER BY created_at DESC LIMIT 20`` (with authors joined), timed in-process.

Knobs: FEED_BENCH_USERS, FEED_BENCH_POSTS, FEED_BENCH_FOLLOWING, FEED_BENCH_REQUESTS, FEED_BENCH_PORT,
FEED_BENCH_SERVER_SETTINGS (a settings module for the server only, for experiments).
Run against PostgreSQL + Redis:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_posts_bench REDIS_URL=redis://127.0.0.1:6379/14 \
  .venv/bin/python -m bench feed
"""

import os
import subprocess
import time
from pathlib import Path

from bench.common import Result, percentile, setup_django, start_server, summary_ms

ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _start_server(port: int) -> subprocess.Popen:
    # FEED_BENCH_SERVER_SETTINGS: another settings module for the server only (experiments such
    # as a database connection pool); the default is the project's settings.
    env = {"DJANGO_SETTINGS_MODULE": os.environ.get("FEED_BENCH_SERVER_SETTINGS", "socialflow.settings")}
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
    port = _env_int("FEED_BENCH_PORT", 8103)

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    data = feed_dataset(users=users, posts=posts, following=following)
    load_s = time.monotonic() - started
    reader = User.objects.get(pk=data["reader_id"])
    store = get_store()
    store.clear(user_id=reader.pk)  # start cold: the first read rebuilds from the database

    # Baseline: the naive pull query, same page size, authors joined. It is timed interleaved with
    # the HTTP requests below, so both see the same load on this shared machine.
    following_ids = data["following_ids"]

    def naive_pull() -> float:
        t0 = time.perf_counter()
        list(
            Post.objects.filter(author_id__in=following_ids, deleted_at__isnull=True)
            .select_related("author")
            .order_by("-created_at")[:20]
        )
        return time.perf_counter() - t0

    naive: list[float] = []
    token = str(RefreshToken.for_user(reader).access_token)
    headers = {"Authorization": f"Bearer {token}"}
    server = _start_server(port)
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
        samples = []
        for i in range(n_requests):
            t0 = time.perf_counter()
            response = session.get(url, headers=headers, timeout=10)
            samples.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise RuntimeError(f"feed answered {response.status_code}: {response.text[:300]}")
            if i % 2 == 0:
                naive.append(naive_pull())
        page2 = session.get(first.json()["next"], headers=headers, timeout=10)
        page2.raise_for_status()
        # Context: the same stack answering a trivial authenticated list (auth + one small query).
        floor = []
        floor_url = f"http://127.0.0.1:{port}/api/v1/follow-requests"
        for _ in range(max(50, n_requests // 5)):
            t0 = time.perf_counter()
            session.get(floor_url, headers=headers, timeout=10).raise_for_status()
            floor.append(time.perf_counter() - t0)
    finally:
        server.terminate()
        server.wait(timeout=10)

    client = Client()
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/feed/home", HTTP_AUTHORIZATION=f"Bearer {token}")
    n_queries = len(queries.captured_queries)

    fan = summary_ms(samples)
    base = summary_ms(naive)
    ratio = base["p50_ms"] / fan["p50_ms"] if fan["p50_ms"] else 0.0
    met = fan["p50_ms"] <= 10 and fan["p99_ms"] <= 30 and n_queries <= 6 and ratio >= 10
    return Result(
        scenario="feed",
        figure=f"p50 {fan['p50_ms']:.2f} ms, p99 {fan['p99_ms']:.2f} ms, {n_queries} queries",
        target="p50<=10ms p99<=30ms <=6 queries, >=10x",
        baseline=f"naive pull p50 {base['p50_ms']:.2f} ms",
        ratio=round(ratio, 2),
        ratio_meaning="naive pull p50 / feed HTTP p50",
        met=met,
        details={
            "feed_http": fan,
            "naive_pull_query": base,
            "naive_p99_over_feed_p99": round(percentile([s * 1000 for s in naive], 99) / fan["p99_ms"], 2),
            "queries_per_page": n_queries,
            "trivial_endpoint_http": summary_ms(floor),
            "cold_first_request_ms": round(cold_s * 1000, 1),
            "store": type(store).__name__,
            "users": users,
            "posts": posts,
            "following": following,
            "requests": n_requests,
            "dataset_load_s": round(load_s, 1),
            "server": f"uvicorn 1 process, DATABASE_CONN_MAX_AGE={os.environ.get('DATABASE_CONN_MAX_AGE', '60')}, "
            f"settings {os.environ.get('FEED_BENCH_SERVER_SETTINGS', 'socialflow.settings')}",
            "database": settings.DATABASES["default"]["ENGINE"],
        },
    )

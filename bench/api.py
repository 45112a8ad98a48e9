"""API serving: ``GET /api/v1/videos/{id}`` and ``GET /api/v1/videos`` under wrk, 64 connections.

The real ASGI app under uvicorn with ``--workers`` = cores (API_BENCH_WORKERS), started with the
bench's own settings (``bench.api_settings``: the project's URLs plus two bare Django views, never
in the product's URLconf). The bench seeds API_BENCH_VIDEOS public videos (each with 4 renditions,
a poster, a sprite and 3 tags) by 20 authors, renders the DRF detail of one and the first list page
once through Django's test client, and the bare views answer exactly those bytes: the same server,
the same middleware stack, without DRF, queries or throttles. Requests are anonymous (public
videos), so the anonymous throttle is raised out of the way (it still counts, in Redis, once per
request). The first request of each endpoint renders it through DRF and files the rendered answer
(``socialflow/api/anonymous_cache.py``, docs/videos.md); the query counts reported are those of
those first, cold requests.

Two servings of the same endpoints are measured, each against the bare views in the same run:

- ``api`` — the product as it runs: the lean ASGI path (``videos/api/read_app.py``) answers a
  current rendered entry ahead of Django, one Redis round trip with the throttle's count;
- ``django`` — the same with ``VIDEO_READS_LEAN=false``: Django's middleware stack and
  ``VideoViewSet.dispatch`` answer from the same entry (the throttle count and the read in one
  pipeline, no DRF dispatch). The figure a request pays when the lean path passes it on.

Rounds are interleaved (bare, subject, bare, subject, …, BENCH_ROUNDS, at least 3), each a wrk run
of API_BENCH_SECONDS (default 10) with 64 connections and 2 threads; the figure is requests/s, the
ratio subject/bare per round (median, min, max), with the load average before and after. wrk runs
on the same machine and takes CPU from the server: both sides of the ratio pay it alike. The
scenario's figure and target are the product's (``api``); the ``django`` figures are reported
beside them.

Targets (BENCHMARKS.md): DRF ≥ 0.8 × the bare view, and ≥ 3 × the 116 (detail) / 52 (list) req/s
measured on one process before this work.

Knobs: API_BENCH_VIDEOS (200), API_BENCH_SECONDS (10), API_BENCH_CONNECTIONS (64),
API_BENCH_WORKERS (cores), API_BENCH_PORT (8107), BENCH_ROUNDS (3).
Without DATABASE_URL: a temporary embedded VAR_DIR (SQLite) and a private embedded redis-server.
Against PostgreSQL + Redis:
  createdb -h 127.0.0.1 -U postgres sf_bench_api
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_bench_api REDIS_URL=redis://127.0.0.1:6379/5 \\
  make bench SCENARIO=api
"""

import os
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench import _videos_env
from bench.common import Result, interleaved, machine, start_server

ONE_PROCESS_BEFORE = {"detail": 116, "list": 52}  # req/s, one process, before this work (issue 15)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _seed(count: int) -> list:
    """``count`` public, ready videos with media names and tags, by 20 authors (replaces earlier ones)."""
    from django.utils import timezone

    from accounts.models import User
    from videos.models import Tag, Video

    Video.objects.filter(author__username__startswith="apibench_").delete()
    authors = []
    for i in range(20):
        user, _ = User.objects.get_or_create(
            username=f"apibench_{i}", defaults={"email": f"apibench_{i}@socialflow.local", "display_name": f"Bench {i}"}
        )
        authors.append(user)
    tags = [Tag.objects.get_or_create(name=f"apibench-{i}")[0] for i in range(12)]
    now = timezone.now()
    videos = Video.objects.bulk_create(
        Video(
            author=authors[n % len(authors)],
            title=f"Bench video {n} — café ✓",
            description="A benchmark video. " * 12,
            status=Video.Status.READY,
            visibility="public",
            duration_ms=95_000,
            width=1920,
            height=1080,
            progress=100,
            views_count=n * 7,
            likes_count=n,
            published_at=now,
        )
        for n in range(count)
    )
    for video in videos:
        g = f"videos/{video.pk}/g1"
        video.renditions = [
            {"height": h, "width": h * 16 // 9, "bitrate": h * 3000, "playlist": f"{g}/{h}p/index.m3u8"}
            for h in (1080, 720, 480, 360)
        ]
        video.master_playlist, video.thumbnail, video.media_prefix = f"{g}/master.m3u8", f"{g}/poster.jpg", g
        video.preview_sprite, video.preview_vtt = f"{g}/sprite.jpg", f"{g}/sprite.vtt"
    Video.objects.bulk_update(
        videos, ["renditions", "master_playlist", "thumbnail", "media_prefix", "preview_sprite", "preview_vtt"]
    )
    through = Video.tags.through
    through.objects.bulk_create(
        through(video_id=video.pk, tag_id=tags[(i + k) % len(tags)].pk)
        for i, video in enumerate(videos)
        for k in range(3)
    )
    return videos


_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors:\s+(.*)")
_LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def _wrk(url: str, *, seconds: int, connections: int) -> dict:
    """One wrk run: requests/s, latency percentiles (ms), and anything that was not a 200."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rate = _RATE.search(out)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {f"p{p}_ms": round(float(v) * scale[u], 2) for p, v, u in _LATENCY.findall(out)}
    non_2xx = _NON_2XX.search(out)
    errors = _ERRORS.search(out)
    return {
        "rps": float(rate[1]),
        **latency,
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": errors[1].strip() if errors else "",
    }


def _query_counts(detail_url: str, list_url: str) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = {}
    for name, url in (("detail", detail_url), ("list", list_url)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[name] = len(queries.captured_queries)
    return counts


def _start_embedded_redis(var_dir: str):
    from socialflow.embedded.redis_server import EmbeddedRedis

    server = EmbeddedRedis(Path(var_dir), persistent=False).start()
    os.environ["EMBEDDED_REDIS_PORT"] = str(server.port)
    return server


def _measure(base: str, detail_path: str, bodies: Path, workers: int, seconds: int, connections: int) -> dict:
    """Interleaved wrk rounds of the bare views and the endpoints on the server at ``base``."""
    import requests

    urls = {
        "drf_detail": base + detail_path,
        "bare_detail": base + "/bench/bare/video",
        "drf_list": base + "/api/v1/videos",
        "bare_list": base + "/bench/bare/videos",
    }
    # The bare views answer what the endpoints answer through this server (absolute pagination
    # links included), byte for byte: fetched once here, read once per worker.
    served = {}
    for drf, name in (("drf_detail", "detail.json"), ("drf_list", "list.json")):
        response = requests.get(urls[drf], timeout=10)
        response.raise_for_status()
        served[drf] = response.content
        (bodies / name).write_bytes(response.content)
    for drf, bare in (("drf_detail", "bare_detail"), ("drf_list", "bare_list")):
        for _ in range(workers * 4):  # every worker, most likely
            if requests.get(urls[bare], timeout=10).content != served[drf]:
                raise RuntimeError(f"{bare} does not answer what {drf} does")
    for url in urls.values():  # warm every worker's caches and connections
        _wrk(url, seconds=2, connections=connections)

    runs: dict[str, list[dict]] = {name: [] for name in urls}

    def measure(name: str):
        def once() -> float:
            result = _wrk(urls[name], seconds=seconds, connections=connections)
            runs[name].append(result)
            return result["rps"]

        return once

    print("  detail: bare view, endpoint", flush=True)
    detail = interleaved(measure("bare_detail"), measure("drf_detail"))
    print("  list: bare view, endpoint", flush=True)
    listing = interleaved(measure("bare_list"), measure("drf_list"))
    return {
        "detail": detail,
        "list": listing,
        "runs": runs,
        "bodies": (served["drf_detail"], served["drf_list"]),
    }


def run() -> Result:
    n_videos = _env_int("API_BENCH_VIDEOS", 200)
    seconds = _env_int("API_BENCH_SECONDS", 10)
    connections = _env_int("API_BENCH_CONNECTIONS", 64)
    workers = _env_int("API_BENCH_WORKERS", os.cpu_count() or 1)
    port = _env_int("API_BENCH_PORT", 8107)
    if shutil.which("wrk") is None:
        raise RuntimeError("the api bench needs wrk (apt-get install -y wrk)")

    # One key for the bench and the server (signed media links, sessions); required with DATABASE_URL.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    redis_server = None
    if not os.environ.get("DATABASE_URL") and "VAR_DIR" not in os.environ:
        os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="sf-bench-api-")
        _videos_env._made.append(os.environ["VAR_DIR"])
    if not os.environ.get("REDIS_URL"):
        redis_server = _start_embedded_redis(
            os.environ.get("VAR_DIR") or tempfile.mkdtemp(prefix="sf-bench-api-redis-")
        )
    bodies = Path(tempfile.mkdtemp(prefix="sf-bench-api-bodies-"))
    server = None
    try:
        _videos_env.prepare("api")
        from django.conf import settings

        videos = _seed(n_videos)
        detail_path = f"/api/v1/videos/{videos[len(videos) // 2].pk}"
        list_path = "/api/v1/videos"
        queries = _query_counts(detail_path, list_path)

        base_env = {
            "DJANGO_SETTINGS_MODULE": "bench.api_settings",
            "API_BENCH_BODIES": str(bodies),
            # Anonymous wrk traffic from one address: a rate no run reaches (the throttle still counts).
            "THROTTLE_ANON": "1000000000/min",
            "THROTTLE_USER": "1000000000/min",
        }
        measured = {}
        for serving, lean in (("api", "true"), ("django", "false")):
            print(f"  serving: {serving} (VIDEO_READS_LEAN={lean})", flush=True)
            server = start_server(port, env={**base_env, "VIDEO_READS_LEAN": lean}, workers=workers)
            try:
                measured[serving] = _measure(
                    f"http://127.0.0.1:{port}", detail_path, bodies, workers, seconds, connections
                )
            finally:
                server.terminate()
                server.wait(timeout=20)
                server = None
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        if redis_server is not None:
            redis_server.stop()
        shutil.rmtree(bodies, ignore_errors=True)
        _videos_env.cleanup()

    detail, listing, runs = measured["api"]["detail"], measured["api"]["list"], measured["api"]["runs"]
    through_django = measured["django"]
    failures = sum(r["non_2xx"] for m in measured.values() for rs in m["runs"].values() for r in rs)
    detail_body, list_body = measured["api"]["bodies"]
    drf_detail_rps, drf_list_rps = detail["subject_median"], listing["subject_median"]
    met_ratio = detail["ratio_median"] >= 0.8 and listing["ratio_median"] >= 0.8
    met_abs = drf_detail_rps >= 3 * ONE_PROCESS_BEFORE["detail"] and drf_list_rps >= 3 * ONE_PROCESS_BEFORE["list"]
    worse = detail if detail["ratio_median"] <= listing["ratio_median"] else listing
    median_p = {name: statistics.median(r.get("p99_ms", 0) for r in rs) for name, rs in runs.items()}
    return Result(
        scenario="api",
        figure=(
            f"detail {drf_detail_rps:.0f} req/s ({detail['ratio_median']:.2f}× bare), "
            f"list {drf_list_rps:.0f} req/s ({listing['ratio_median']:.2f}× bare); "
            f"through Django: {through_django['detail']['ratio_median']:.2f}× / "
            f"{through_django['list']['ratio_median']:.2f}×"
        ),
        target=">=0.8x bare, >=348/156 req/s",
        baseline=(
            f"bare views: detail {detail['baseline_median']:.0f} req/s, list {listing['baseline_median']:.0f} req/s"
        ),
        # The scenario's ratio is its worse endpoint (detail and list must both meet 0.8).
        ratio=round(min(detail["ratio_median"], listing["ratio_median"]), 2),
        ratio_meaning="endpoint req/s as served / bare view req/s, the worse of detail and list (min-max of its rounds)",
        met=met_ratio and met_abs and failures == 0,
        details={
            "detail": detail,
            "list": listing,
            "ratio_min": worse["ratio_min"],
            "ratio_max": worse["ratio_max"],
            "rounds": detail["rounds"],
            "load_before": detail["load_before"],
            "load_after": listing["load_after"],
            "through_django": {
                "detail": through_django["detail"],
                "list": through_django["list"],
                "figure": (
                    f"detail {through_django['detail']['subject_median']:.0f} req/s "
                    f"({through_django['detail']['ratio_median']:.2f}× bare), "
                    f"list {through_django['list']['subject_median']:.0f} req/s "
                    f"({through_django['list']['ratio_median']:.2f}× bare)"
                ),
                "wrk_runs": through_django["runs"],
            },
            "drf_vs_one_process_before": {
                "detail": round(drf_detail_rps / ONE_PROCESS_BEFORE["detail"], 2),
                "list": round(drf_list_rps / ONE_PROCESS_BEFORE["list"], 2),
            },
            "p99_ms_median": median_p,
            "wrk_runs": runs,
            "non_2xx_total": failures,
            "queries_per_request": queries,
            "response_bytes": {"detail": len(detail_body), "list": len(list_body)},
            "videos": n_videos,
            "server": (
                f"uvicorn --workers {workers}, settings bench.api_settings, anonymous requests; "
                "api: VIDEO_READS_LEAN=true (the default), through_django: false"
            ),
            "wrk": f"wrk -t2 -c{connections} -d{seconds}s, on the same machine",
            "database": settings.DATABASES["default"]["ENGINE"],
            "machine": machine(),
        },
    )

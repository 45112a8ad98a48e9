"""Fan-out on write: one post by an author with 100,000 followers, 20 % of them active.

Measured: the time from the post's commit until EVERY active follower's timeline holds it, with
one real Celery worker (``--pool solo``, one process) consuming ``posts.tasks.fanout_post`` from
the Redis broker; plus the same fan-out called in-process (no broker). Baseline in the same run:
a bare Redis pipeline doing the same number of LPUSH+LTRIM (and ZADD+ZREMRANGEBYRANK) pairs.
The celebrity threshold is lifted for the run so the author is really fanned out.

Knobs: FANOUT_BENCH_FOLLOWERS (100000), FANOUT_BENCH_ACTIVE_PCT (20). Needs REDIS_URL; run:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_posts_bench REDIS_URL=redis://127.0.0.1:6379/14 \
  .venv/bin/python -m bench fanout
Without REDIS_URL it measures the database store in-process only.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import Result, setup_django

ROOT = Path(__file__).resolve().parent.parent
NO_CELEBRITIES = str(10**12)


def _start_worker() -> subprocess.Popen:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="socialflow.settings", FEED_CELEBRITY_FOLLOWERS=NO_CELEBRITIES)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "socialflow",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "celery",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
            "-n",
            "fanout-bench@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()
    lines: list[str] = []

    def reader():
        for line in worker.stdout:
            lines.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=reader, daemon=True).start()
    if not ready.wait(90):
        worker.terminate()
        raise RuntimeError("celery worker did not start:\n" + "".join(lines[-30:]))
    return worker


def _wait_all(client, keys: list[str], post_id: int, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    pending = keys
    while pending and time.monotonic() < deadline:
        pipe = client.pipeline(transaction=False)
        for key in pending:
            pipe.zscore(key, post_id)
        pending = [k for k, score in zip(pending, pipe.execute(), strict=True) if score is None]
        if pending:
            time.sleep(0.01)
    if pending:
        raise RuntimeError(f"{len(pending)} active timelines never got the post")
    return time.monotonic()


def run() -> Result:
    if os.environ.get("REDIS_URL"):
        os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])
    os.environ["FEED_CELEBRITY_FOLLOWERS"] = NO_CELEBRITIES
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import User
    from posts import services
    from posts.feeds import get_store
    from posts.feeds.home import timeline_fanout
    from posts.lib.benchdata import fanout_dataset
    from posts.models import TimelineEntry
    from socialflow.redis import get_redis

    settings.FEED_CELEBRITY_FOLLOWERS = int(NO_CELEBRITIES)  # settings may be loaded already (bench all)
    followers = int(os.environ.get("FANOUT_BENCH_FOLLOWERS", 100_000))
    active_pct = int(os.environ.get("FANOUT_BENCH_ACTIVE_PCT", 20))
    call_command("migrate", verbosity=0)
    t0 = time.monotonic()
    data = fanout_dataset(followers=followers, active_pct=active_pct)
    load_s = time.monotonic() - t0
    author = User.objects.get(pk=data["author_id"])
    active = data["active_ids"]
    store = get_store()
    client = get_redis()
    details = {"followers": data["follower_count"], "active": len(active), "dataset_load_s": round(load_s, 1)}

    # In-process fan-out (the task body without a broker).
    # Unlisted: fanned out to followers like a public post, without also queueing the
    # notifications app's new-post fan-out, which would share the worker and blur the figure.
    post = services.post_create(author=author, text="in-process fan-out", visibility="unlisted")
    t0 = time.perf_counter()
    delivered = timeline_fanout(post_id=post.pk, store=store)
    inproc_s = time.perf_counter() - t0
    details["in_process_s"] = round(inproc_s, 3)
    details["delivered"] = delivered

    if client is None:
        t0 = time.perf_counter()
        TimelineEntry.objects.bulk_create(
            [TimelineEntry(user_id=u, post_id=post.pk + 1) for u in active], batch_size=5000, ignore_conflicts=True
        )
        base_s = time.perf_counter() - t0
        figure_s = inproc_s
        details["store"] = "database"
        baseline = f"bare bulk INSERT {base_s:.3f} s"
    else:
        keys = [store.key(u) for u in active]
        from socialflow.celery import app

        app.control.purge()  # the in-process post above queued its own task: drop it
        worker = _start_worker()
        try:
            with transaction.atomic():
                post = services.post_create(author=author, text="fan-out through the worker", visibility="unlisted")
                committed = [0.0]
                transaction.on_commit(lambda: committed.__setitem__(0, time.monotonic()))
            done = _wait_all(client, keys, post.pk)
            figure_s = done - committed[0]
        finally:
            worker.terminate()
            worker.wait(timeout=20)
        # Baselines: the same number of bare LPUSH+LTRIM (and ZADD+trim) in one pipeline.
        t0 = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for user_id in active:
            pipe.lpush(f"bench:list:{user_id}", post.pk)
            pipe.ltrim(f"bench:list:{user_id}", 0, 799)
        pipe.execute()
        base_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for user_id in active:
            pipe.zadd(f"bench:zset:{user_id}", {post.pk: post.pk})
            pipe.zremrangebyrank(f"bench:zset:{user_id}", 0, -801)
        pipe.execute()
        details["bare_zadd_pipeline_s"] = round(time.perf_counter() - t0, 3)
        for prefix in ("bench:list:", "bench:zset:"):
            for start in range(0, len(active), 5000):
                client.delete(*[f"{prefix}{u}" for u in active[start : start + 5000]])
        details["store"] = "redis"
        details["worker_s"] = round(figure_s, 3)
        baseline = f"bare LPUSH+LTRIM pipeline {base_s:.3f} s"
    details["baseline_s"] = round(base_s, 3)
    return Result(
        scenario="fanout",
        figure=f"all {len(active)} active in {figure_s:.2f} s (in-proc {inproc_s:.2f} s)",
        target="<= 5 s, one worker",
        baseline=baseline,
        ratio=round(base_s / figure_s, 3) if figure_s else 0.0,
        ratio_meaning="bare pipeline time / fan-out time",
        met=figure_s <= 5,
        details=details,
    )

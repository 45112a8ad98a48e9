"""Notifications fan-out: "new video" to every follower of an author with many followers.

Measured: the fan-out work of ``notifications.services.notify_followers`` — every chunk task's
body (``notification_fan_out_chunk``: one INSERT … SELECT applying blocks/mutes, preferences and
"told already" per chunk; reads of preference rows, email modes and devices; the outbox
deliveries; the realtime push after commit to followers with a socket open) run in-process, no
broker, each chunk its own transaction as in the worker. Baseline in the same run: a bare
``bulk_create`` of the same number of Notification rows (what the fan-out costs above the
unavoidable inserts). Rounds interleave baseline and fan-out (baseline first in even rounds, the
fan-out first in odd ones); the ratio reported is the median of the rounds', with min/max.
Target (ours, not in BENCHMARKS.md): the whole fan-out costs at most 3× the bare inserts it has to
do (ratio ≥ 0.33), i.e. the batch reads, outbox and pushes stay a constant per chunk.

Knobs: NOTIFY_BENCH_FOLLOWERS (20000), NOTIFY_BENCH_ROUNDS (3), NOTIFY_BENCH_ONLINE_PCT (0: the
share of followers with a notifications socket open, simulated by a channel in their group that
receives the pushes into Redis, where they expire). Run against your own database, e.g.
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_notifications .venv/bin/python -m bench notifications
"""

import os
import statistics
import time

from bench.common import Result, setup_django


def run() -> Result:
    setup_django()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import User
    from notifications import realtime, services
    from notifications.models import Notification
    from posts.lib.benchdata import fanout_dataset

    followers = int(os.environ.get("NOTIFY_BENCH_FOLLOWERS", 20_000))
    rounds = max(1, int(os.environ.get("NOTIFY_BENCH_ROUNDS", 3)))
    online_pct = float(os.environ.get("NOTIFY_BENCH_ONLINE_PCT", 0))
    call_command("migrate", verbosity=0)
    data = fanout_dataset(followers=followers, active_pct=20)
    author = User.objects.get(pk=data["author_id"])
    content_type = ContentType.objects.get_for_model(User)
    Notification.objects.filter(actor=author).delete()
    chunks = services.follower_chunks(author_id=author.pk)

    layer = get_channel_layer()
    every = round(100 / online_pct) if online_pct else 0
    online = [uid for chunk in chunks for uid in chunk][::every] if every else []

    async def join(add: bool):
        for uid in online:
            group, channel = realtime.user_group(uid), f"bench.notify.{uid}"
            await (layer.group_add(group, channel) if add else layer.group_discard(group, channel))

    def fan_out() -> tuple[float, int]:
        t0 = time.perf_counter()
        created = 0
        for chunk in chunks:
            with transaction.atomic():
                created += len(
                    services.notification_fan_out_chunk(
                        author_id=author.pk,
                        kind="new_video",
                        target_content_type_id=content_type.pk,
                        target_object_id=str(author.pk),
                        data={"title": "bench"},
                        recipient_ids=chunk,
                    )
                )
        elapsed = time.perf_counter() - t0
        Notification.objects.filter(actor=author).delete()
        return elapsed, created

    def bare() -> float:
        t0 = time.perf_counter()
        with transaction.atomic():
            Notification.objects.bulk_create(
                [
                    Notification(
                        recipient_id=uid,
                        kind="new_video",
                        actor_id=author.pk,
                        actors_count=1,
                        target_content_type_id=content_type.pk,
                        target_object_id=str(author.pk),
                        data={"title": "bench"},
                    )
                    for chunk in chunks
                    for uid in chunk
                ],
                batch_size=500,
            )
        elapsed = time.perf_counter() - t0
        Notification.objects.filter(actor=author).delete()
        return elapsed

    if online:
        async_to_sync(join)(True)
    try:
        fan_out_s, base_s, created = [], [], 0
        for i in range(rounds):
            if i % 2:
                fan, created = fan_out()
                base = bare()
            else:
                base = bare()
                fan, created = fan_out()
            fan_out_s.append(fan)
            base_s.append(base)
    finally:
        if online:
            async_to_sync(join)(False)
    ratios = [b / f for b, f in zip(base_s, fan_out_s, strict=True)]
    ratio = statistics.median(ratios)
    figure_s = statistics.median(fan_out_s)
    rate = created / figure_s if figure_s else 0.0
    return Result(
        scenario="notifications",
        figure=f"{created} rows in {figure_s:.2f} s ({rate:,.0f}/s)",
        target="ratio >= 0.33 (<= 3x bare insert)",
        baseline=f"bare bulk_create {statistics.median(base_s):.2f} s",
        ratio=round(ratio, 3),
        ratio_meaning=f"bare insert time / fan-out time, median of {rounds} rounds",
        met=ratio >= 0.33,
        details={
            "followers": data["follower_count"],
            "chunks": len(chunks),
            "created": created,
            "online": len(online),
            "rounds": rounds,
            "fan_out_s": [round(s, 3) for s in fan_out_s],
            "bare_insert_s": [round(s, 3) for s in base_s],
            "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    )

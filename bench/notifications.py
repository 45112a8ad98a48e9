"""Notifications fan-out: "new video" to every follower of an author with many followers.

Measured: the fan-out work of ``notifications.services.notify_followers`` — every chunk task's
body (``notification_fan_out_chunk``: batch reads of recipients, blocks/mutes, preferences, email
modes and devices; bulk inserts of rows and outbox deliveries; the realtime push after commit)
run in-process, no broker. Baseline in the same run: a bare ``bulk_create`` of the same number of
Notification rows (what the fan-out costs above the unavoidable inserts).
Target (ours, not in BENCHMARKS.md): the whole fan-out costs at most 3× the bare inserts it has to
do (ratio ≥ 0.33), i.e. the batch reads, outbox and pushes stay a constant per chunk.

Knobs: NOTIFY_BENCH_FOLLOWERS (20000). Run against your own database, e.g.
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/sf_notifications .venv/bin/python -m bench notifications
"""

import os
import time

from bench.common import Result, setup_django


def run() -> Result:
    setup_django()
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import User
    from notifications import services
    from notifications.models import Notification
    from posts.lib.benchdata import fanout_dataset

    followers = int(os.environ.get("NOTIFY_BENCH_FOLLOWERS", 20_000))
    call_command("migrate", verbosity=0)
    data = fanout_dataset(followers=followers, active_pct=20)
    author = User.objects.get(pk=data["author_id"])
    content_type = ContentType.objects.get_for_model(User)
    Notification.objects.filter(actor=author).delete()

    chunks = services.follower_chunks(author_id=author.pk)
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
    figure_s = time.perf_counter() - t0
    Notification.objects.filter(actor=author).delete()

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
    base_s = time.perf_counter() - t0
    Notification.objects.filter(actor=author).delete()
    rate = created / figure_s if figure_s else 0.0
    return Result(
        scenario="notifications",
        figure=f"{created} rows in {figure_s:.2f} s ({rate:,.0f}/s)",
        target="ratio >= 0.33 (<= 3x bare insert)",
        baseline=f"bare bulk_create {base_s:.2f} s",
        ratio=round(base_s / figure_s, 3) if figure_s else 0.0,
        ratio_meaning="bare insert time / fan-out time",
        met=bool(figure_s) and base_s / figure_s >= 0.33,
        details={"followers": data["follower_count"], "chunks": len(chunks), "created": created},
    )

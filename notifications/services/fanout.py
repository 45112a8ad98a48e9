"""The follower fan-out outbox: a ``FollowerFanOut`` row split into ``FanOutChunk`` rows.

Every step is re-runnable and nothing depends on a broker message arriving: the row and its
chunks are in the database, each task takes an id, and ``fan_outs_requeue_stuck`` (beat, every
``NOTIFICATIONS_FANOUT_REDRIVE_AFTER``) queues again whatever has been quiet for that long — a
message lost with a killed Redis (its last second of writes), taken by a SIGKILLed worker, or never
published during an outage. Telling a follower twice is impossible: a chunk skips followers who
already have the notification and the unique constraint ``notifications_follower_kind_once``
settles two copies of one chunk racing.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from notifications.models import FanOutChunk, FollowerFanOut
from notifications.services.notify import follower_chunks, notification_fan_out_chunk

OPEN = [FollowerFanOut.Status.PENDING, FollowerFanOut.Status.RUNNING]


def fan_out_claim(*, fan_out_id: int) -> FollowerFanOut | None:
    """PENDING or RUNNING → RUNNING; None when it is done.

    A RUNNING row is taken again: its message came back because the worker that claimed it died
    before finishing, or the reconcile queued it again. Planning is idempotent (below)."""
    changed = FollowerFanOut.objects.filter(pk=fan_out_id, status__in=OPEN).update(
        status=FollowerFanOut.Status.RUNNING, started_at=timezone.now()
    )
    return FollowerFanOut.objects.get(pk=fan_out_id) if changed else None


@transaction.atomic
def fan_out_plan(*, fan_out: FollowerFanOut) -> list[int]:
    """Split the followers into chunk rows, once, and return the ids of the chunks not done yet.

    The first run writes the chunks (the followers as they are then); a re-run finds them and
    returns what is left. No followers: the fan-out is done at once."""
    locked = FollowerFanOut.objects.select_for_update().get(pk=fan_out.pk)
    if not locked.chunk_rows.exists():
        chunks = follower_chunks(author_id=locked.author_id)
        FanOutChunk.objects.bulk_create(
            [FanOutChunk(fan_out=locked, index=i, recipient_ids=ids) for i, ids in enumerate(chunks)]
        )
        FollowerFanOut.objects.filter(pk=locked.pk).update(chunks=len(chunks))
    pending = list(
        locked.chunk_rows.exclude(status=FanOutChunk.Status.DONE).order_by("index").values_list("pk", flat=True)
    )
    if not pending:
        fan_out_settle(fan_out_id=locked.pk)
    return pending


def fan_out_chunk_run(*, chunk_id: int) -> int | None:
    """Tell one chunk's followers; returns how many were told, None when the chunk is done or gone.

    The notifications commit in their own transaction; the chunk is marked DONE after them, so a
    worker killed in between leaves a chunk whose re-run finds everyone told and creates nothing."""
    chunk = FanOutChunk.objects.select_related("fan_out").filter(pk=chunk_id).first()
    if chunk is None or chunk.status == FanOutChunk.Status.DONE:
        return None
    FanOutChunk.objects.filter(pk=chunk_id).update(status=FanOutChunk.Status.RUNNING, queued_at=timezone.now())
    fan_out = chunk.fan_out
    created = notification_fan_out_chunk(
        author_id=fan_out.author_id,
        kind=fan_out.kind,
        target_content_type_id=fan_out.target_content_type_id,
        target_object_id=fan_out.target_object_id,
        data=fan_out.data,
        recipient_ids=chunk.recipient_ids,
    )
    with transaction.atomic():
        FanOutChunk.objects.filter(pk=chunk_id).update(status=FanOutChunk.Status.DONE, finished_at=timezone.now())
        fan_out_settle(fan_out_id=fan_out.pk)
    return len(created)


def fan_out_settle(*, fan_out_id: int) -> bool:
    """RUNNING → DONE once every chunk is done. Two last chunks finishing at once may each miss the
    other's mark; the reconcile settles that fan-out on its next pass."""
    if FanOutChunk.objects.filter(fan_out_id=fan_out_id).exclude(status=FanOutChunk.Status.DONE).exists():
        return False
    return bool(
        FollowerFanOut.objects.filter(pk=fan_out_id, status__in=OPEN).update(
            status=FollowerFanOut.Status.DONE, finished_at=timezone.now()
        )
    )


def fan_outs_requeue_stuck(*, quiet_for: timedelta, as_of=None, limit: int = 1000) -> tuple[list[int], list[int]]:
    """Reconcile. Returns (fan-out ids to plan again, chunk ids to run again).

    A fan-out is stuck when it has no chunks yet and nothing happened to it for ``quiet_for``
    (its message was lost, or its worker died before planning); a chunk when it is not done and
    was last queued or claimed longer ago than that. Both are marked queued now, so a slow queue
    gets them again only after another quiet period. Fan-outs whose chunks are all done are settled.
    ``as_of`` (default now): quiet means quiet since ``quiet_for`` before it (``behind_the_backlog``).
    """
    now = timezone.now()
    deadline = (as_of or now) - quiet_for
    has_chunks = Exists(FanOutChunk.objects.filter(fan_out_id=OuterRef("pk")))
    open_chunks = Exists(FanOutChunk.objects.filter(fan_out_id=OuterRef("pk")).exclude(status=FanOutChunk.Status.DONE))
    with transaction.atomic():
        for fan_out_id in FollowerFanOut.objects.filter(
            has_chunks, ~open_chunks, status=FollowerFanOut.Status.RUNNING
        ).values_list("pk", flat=True)[:limit]:
            fan_out_settle(fan_out_id=fan_out_id)
        quiet = Q(started_at__isnull=True, created_at__lt=deadline) | Q(started_at__lt=deadline)
        unplanned = FollowerFanOut.objects.filter(quiet, ~has_chunks, status__in=OPEN)
        fan_out_ids = list(unplanned.order_by("pk").values_list("pk", flat=True)[:limit])
        # Marked as started now: the next pass waits another quiet period for these.
        FollowerFanOut.objects.filter(pk__in=fan_out_ids).update(started_at=now)
        chunk_ids = list(
            FanOutChunk.objects.exclude(status=FanOutChunk.Status.DONE)
            .filter(queued_at__lt=deadline)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        FanOutChunk.objects.filter(pk__in=chunk_ids).update(queued_at=now)
    return fan_out_ids, chunk_ids

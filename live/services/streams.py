"""Streams: the owner's channel (persistent stream key), creation (one active per owner), settings,
key rotation, and the idle -> live (-> disconnected within the grace period -> live) -> ended machine."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from live.lib.broadcast import room_send_safely
from live.models import LiveChannel, Stream, new_stream_key
from socialflow.core import events, quotas, restrictions
from socialflow.core.audit import audit_record
from socialflow.core.exceptions import Conflict
from socialflow.reliability.queue import task_named

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "category",
        "scheduled_for",
        "chat_enabled",
        "members_only",
        "chat_established_only",
        "slow_mode_s",
    }
)


def stream_create(
    *,
    owner,
    title: str,
    description: str = "",
    category: str = "",
    scheduled_for: datetime | None = None,
    chat_enabled: bool = True,
    members_only: bool = False,
    chat_established_only: bool = False,
    slow_mode_s: int = 0,
) -> Stream:
    """Create the owner's stream (and their channel, with its stream key, on the first one).

    The database allows one idle/live stream per owner: a second -> 409. 403 while the account may
    not go live (strikes or a moderator's limit: ``socialflow.core.restrictions``), or when the
    owner's plan allows no more concurrent streams (``socialflow.core.quotas``: ``quota_exceeded``).
    """
    restrictions.check(owner, restrictions.LIVE)
    try:
        with transaction.atomic():
            quotas.check_live(owner)
            channel_get_or_create(owner=owner)
            return Stream.objects.create(
                owner=owner,
                title=title,
                description=description,
                category=category,
                scheduled_for=scheduled_for,
                chat_enabled=chat_enabled,
                members_only=members_only,
                chat_established_only=chat_established_only,
                slow_mode_s=slow_mode_s,
            )
    except IntegrityError as exc:
        raise Conflict(
            "You already have an active stream: end it before creating another.", code="active_stream_exists"
        ) from exc


@transaction.atomic
def stream_update(*, stream: Stream, moderators: list | None = None, by=None, **fields) -> Stream:
    """Change title/description/category/schedule and chat settings; ``moderators`` replaces the list.

    ``by`` someone other than the owner (staff in the admin) is a moderator action: audited."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(stream, name, value)
    if fields:
        stream.save(update_fields=[*fields, "updated_at"])
    if moderators is not None:
        stream.moderators.set([user for user in moderators if user.pk != stream.owner_id])
    if by is not None and by.pk != stream.owner_id and fields:
        audit_record(actor=by, action="stream.update", target=stream, metadata=fields)
    if {"chat_enabled", "slow_mode_s", "members_only", "chat_established_only"} & set(fields):
        settings_event = {
            "type": "chat.settings",
            "chat_enabled": stream.chat_enabled,
            "slow_mode_s": stream.slow_mode_s,
            "members_only": stream.members_only,
            "established_only": stream.chat_established_only,
        }
        transaction.on_commit(lambda: _push(stream.pk, settings_event))
    return stream


def channel_get_or_create(*, owner) -> LiveChannel:
    """The owner's channel; created with a fresh stream key the first time."""
    channel, _created = LiveChannel.objects.get_or_create(owner=owner)
    return channel


@transaction.atomic
def channel_rotate_key(*, owner) -> LiveChannel:
    """A new channel key; the old one stops working at once (a publish with it gets 403).

    A publisher already connected keeps its session (the ingest server checked it on connect).
    """
    channel = LiveChannel.objects.select_for_update().filter(owner=owner).first() or channel_get_or_create(owner=owner)
    channel.stream_key = new_stream_key()
    channel.key_rotated_at = timezone.now()
    channel.save(update_fields=["stream_key", "key_rotated_at"])
    return channel


def stream_rotate_key(*, stream: Stream) -> Stream:
    """Rotate the key of the stream's channel (the key is the owner's, shared by all their streams)."""
    channel = channel_rotate_key(owner=stream.owner)
    stream.owner.live_channel = channel
    return stream


def stream_go_live(*, stream: Stream, playback_id: str | None = None) -> bool:
    """idle -> live (conditional update) and record ``stream.started`` (followers are told); False
    when it was not idle.

    A reconnect while live only moves the playback id (a new ingest session writes a new HLS path).
    """
    now = timezone.now()
    extra = {"playback_id": playback_id} if playback_id else {}
    with transaction.atomic():
        changed = Stream.objects.filter(pk=stream.pk, status=Stream.Status.IDLE).update(
            status=Stream.Status.LIVE, started_at=now, ended_at=None, disconnected_at=None, updated_at=now, **extra
        )
        if not changed:
            resumed = Stream.objects.filter(
                pk=stream.pk, status=Stream.Status.LIVE, disconnected_at__isnull=False
            ).update(disconnected_at=None, updated_at=now, **extra)
            if resumed:
                logger.info("live: stream %s resumed within the grace period", stream.pk)
                _push_after_commit(stream.pk, {"type": "stream.status", "status": "live"})
            elif extra:
                Stream.objects.filter(pk=stream.pk, status=Stream.Status.LIVE).update(updated_at=now, **extra)
            return False
        stream.status, stream.started_at = Stream.Status.LIVE, now
        events.record("stream.started", stream_id=stream.pk, owner_id=stream.owner_id)
    _push_after_commit(stream.pk, {"type": "stream.status", "status": "live"})
    return True


def stream_disconnect(*, stream: Stream) -> bool:
    """The publisher dropped (publish-done): start the reconnect grace period instead of ending.

    live -> live with ``disconnected_at`` set (conditional update); viewers are told it is
    ``reconnecting``. A publish within ``LIVE_RECONNECT_GRACE_S`` resumes the stream
    (``stream_go_live``); after it, ``stream_end_if_abandoned`` (a task scheduled now, and the
    reconcile sweep) ends it. A grace of 0 ends at once. False when it was not live.
    """
    grace_s = settings.LIVE_RECONNECT_GRACE_S
    if grace_s <= 0:
        return stream_end(stream=stream)
    now = timezone.now()
    with transaction.atomic():
        changed = Stream.objects.filter(pk=stream.pk, status=Stream.Status.LIVE, disconnected_at=None).update(
            disconnected_at=now, current_viewers=0, updated_at=now
        )
        if not changed:
            return False
        stream.disconnected_at = now
        stream_id = stream.pk
        transaction.on_commit(
            lambda: task_named("live.tasks.end_abandoned_stream").apply_async((stream_id,), countdown=grace_s + 1)
        )
    _push_after_commit(stream.pk, {"type": "stream.status", "status": "reconnecting"})
    return True


def stream_end_if_abandoned(*, stream_id: int, now: datetime | None = None) -> bool:
    """End a stream whose publisher has been gone longer than the grace period (else nothing)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.LIVE_RECONNECT_GRACE_S)
    stream = Stream.objects.filter(pk=stream_id, status=Stream.Status.LIVE, disconnected_at__lte=cutoff).first()
    if stream is None:
        return False
    return stream_end(stream=stream, only_if_disconnected=True)


def stream_end(*, stream: Stream, only_if_disconnected: bool = False, by=None) -> bool:
    """idle|live -> ended (conditional update). False when it had already ended (or, with
    ``only_if_disconnected``, when its publisher came back meanwhile). ``by``: who ended it; a
    moderator ending someone else's stream is written to the audit trail.

    The recording parts of the broadcast are joined and imported as one video after commit.
    """
    now = timezone.now()
    with transaction.atomic():
        candidates = Stream.objects.filter(pk=stream.pk, status__in=Stream.ACTIVE_STATUSES)
        if only_if_disconnected:
            candidates = candidates.filter(disconnected_at__isnull=False)
        changed = candidates.update(
            status=Stream.Status.ENDED, ended_at=now, disconnected_at=None, current_viewers=0, updated_at=now
        )
        if not changed:
            return False
        if by is not None and by.pk != stream.owner_id:
            audit_record(actor=by, action="stream.end", target=stream)
        stream.refresh_from_db()
        stream_id = stream.pk
        events.record("stream.ended", stream_id=stream_id, owner_id=stream.owner_id)
        # A little later: the ingest server reports the last recording just after the publish ends.
        transaction.on_commit(
            lambda: task_named("live.tasks.import_stream_recordings").apply_async(
                (stream_id,), countdown=settings.LIVE_RECORDING_SETTLE_S
            )
        )
    _push_after_commit(stream.pk, {"type": "stream.status", "status": "ended"})
    return True


def stream_viewers_record(*, stream_id: int, count: int) -> None:
    """Current viewers, and the session peak (monotonic, via Greatest); an ended stream stays at 0."""
    Stream.objects.filter(pk=stream_id).exclude(status=Stream.Status.ENDED).update(
        current_viewers=count, peak_viewers=Greatest(F("peak_viewers"), count)
    )


def stream_watch_time_add(*, stream_id: int, ms: int) -> None:
    """Add one viewer's connected time while the stream is live (average viewers derive from it)."""
    if ms > 0:
        Stream.objects.filter(pk=stream_id, status=Stream.Status.LIVE).update(watch_time_ms=F("watch_time_ms") + ms)


def _push(stream_id: int, event: dict) -> None:
    room_send_safely(stream_id=stream_id, event=event)


def _push_after_commit(stream_id: int, event: dict) -> None:
    transaction.on_commit(lambda: _push(stream_id, event))

"""Streams: creation (one active per owner), settings, key rotation, the idle -> live -> ended machine."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from live.lib.broadcast import room_send_safely
from live.models import Stream, new_stream_key
from socialflow.api.exceptions import Conflict

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
    """Create the owner's stream. The database allows one idle/live stream per owner: a second -> 409."""
    try:
        with transaction.atomic():
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
            detail="You already have an active stream: end it before creating another.", code="active_stream_exists"
        ) from exc


@transaction.atomic
def stream_update(*, stream: Stream, moderators: list | None = None, **fields) -> Stream:
    """Change title/description/category/schedule and chat settings; ``moderators`` replaces the list."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(stream, name, value)
    if fields:
        stream.save(update_fields=[*fields, "updated_at"])
    if moderators is not None:
        stream.moderators.set([user for user in moderators if user.pk != stream.owner_id])
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


@transaction.atomic
def stream_rotate_key(*, stream: Stream) -> Stream:
    """A new key; the old one stops working at once (a publish with it gets 403)."""
    stream.stream_key = new_stream_key()
    stream.save(update_fields=["stream_key", "updated_at"])
    return stream


def stream_go_live(*, stream: Stream, playback_id: str | None = None) -> bool:
    """idle -> live (conditional update) and tell followers; False when it was not idle.

    A reconnect while live only moves the playback id (a new ingest session writes a new HLS path).
    """
    now = timezone.now()
    extra = {"playback_id": playback_id} if playback_id else {}
    with transaction.atomic():
        changed = Stream.objects.filter(pk=stream.pk, status=Stream.Status.IDLE).update(
            status=Stream.Status.LIVE, started_at=now, ended_at=None, updated_at=now, **extra
        )
        if not changed:
            if extra:
                Stream.objects.filter(pk=stream.pk, status=Stream.Status.LIVE).update(updated_at=now, **extra)
            return False
        stream.status, stream.started_at = Stream.Status.LIVE, now
        _notify_followers_live(stream)
    _push_after_commit(stream.pk, {"type": "stream.status", "status": "live"})
    return True


def stream_end(*, stream: Stream) -> bool:
    """idle|live -> ended (conditional update). False when it had already ended."""
    now = timezone.now()
    with transaction.atomic():
        changed = Stream.objects.filter(pk=stream.pk, status__in=Stream.ACTIVE_STATUSES).update(
            status=Stream.Status.ENDED, ended_at=now, current_viewers=0, updated_at=now
        )
        if not changed:
            return False
        stream.refresh_from_db()
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


def _notify_followers_live(stream: Stream) -> None:
    try:
        from notifications.services import notify_followers
    except ImportError:  # the notifications app is optional for live (see docs/live.md)
        logger.warning("notifications.services.notify_followers unavailable; live_started not sent")
        return
    notify_followers(
        author=stream.owner,
        kind="live_started",
        target=stream,
        data={"title": stream.title, "stream_id": str(stream.pk)},
    )


def _push(stream_id: int, event: dict) -> None:
    room_send_safely(stream_id=stream_id, event=event)


def _push_after_commit(stream_id: int, event: dict) -> None:
    transaction.on_commit(lambda: _push(stream_id, event))

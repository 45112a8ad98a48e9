"""notify() and notify_followers(): the contract other apps call inside their transactions.

Delivery (websocket push, email, web/mobile push) happens after commit."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, JSONField, Value
from django.utils import timezone

from accounts.selectors import hidden_author_ids_for
from notifications import realtime, selectors, text
from notifications.lib.bulk import insert_from_select
from notifications.models import (
    Channel,
    Delivery,
    EmailMode,
    FollowerFanOut,
    Kind,
    Notification,
    NotificationActor,
    PushDevice,
)
from notifications.preferences import AGGREGATED_KINDS, FOLLOWER_KINDS, Channels
from socialflow.reliability.queue import enqueue_on_commit


def _aggregation_window() -> timedelta:
    return settings.NOTIFICATIONS_AGGREGATION_WINDOW


def _fanout_chunk_size() -> int:
    return settings.NOTIFICATIONS_FANOUT_CHUNK


def target_ref(target) -> tuple[ContentType | None, str]:
    if target is None:
        return None, ""
    return ContentType.objects.get_for_model(target), str(target.pk)


def _group_key(kind: str, content_type: ContentType | None, object_id: str) -> str:
    return f"{kind}:{content_type.pk}:{object_id}" if content_type else kind


def _can_receive(user) -> bool:
    return user is not None and user.is_active and user.deleted_at is None


def notify(*, recipient, kind: str, actor=None, target=None, data: dict | None = None) -> Notification | None:
    """Notify ``recipient`` that ``actor`` did ``kind`` on ``target``; returns the row or None.

    Call inside the caller's transaction. Nothing happens for self-actions, actors the recipient
    blocked, is blocked by or muted, deleted/inactive recipients, or kinds the recipient turned off
    on every channel. Aggregated kinds join the open group for (recipient, kind, target) when one
    exists (unread again, newest actor first) instead of adding a row. Websocket push, email and
    push delivery are queued with ``transaction.on_commit``.
    """
    kind = Kind(kind).value
    if not _can_receive(recipient):
        return None
    if actor is not None:
        if actor.pk == recipient.pk or actor.deleted_at is not None:
            return None
        if actor.pk in hidden_author_ids_for(viewer_id=recipient.pk):
            return None
    channels = selectors.channels_for(user_id=recipient.pk, kind=kind)
    if not channels.any:
        return None
    content_type, object_id = target_ref(target)
    data = {**text.describe_target(kind=kind, target=target), **(data or {})}
    with transaction.atomic():
        if kind in AGGREGATED_KINDS:
            notification, created = _aggregate(
                recipient=recipient,
                kind=kind,
                actor=actor,
                content_type=content_type,
                object_id=object_id,
                data=data,
                in_app=channels.in_app,
            )
        else:
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                actor=actor,
                actors_count=1 if actor is not None else 0,
                target_content_type=content_type,
                target_object_id=object_id,
                data=data,
                in_app=channels.in_app,
            )
            created = True
        if notification is None:
            return None
        delivery_ids = (
            _create_deliveries(rows=[(notification.pk, recipient.pk)], channels={recipient.pk: channels})
            if created
            else []
        )
    _after_commit(notification_ids=[notification.pk] if notification.in_app else [], delivery_ids=delivery_ids)
    return notification


def _aggregate(*, recipient, kind, actor, content_type, object_id, data, in_app) -> tuple[Notification | None, bool]:
    """Join the open group or open a new one; safe under concurrency.

    The partial unique constraint allows one open group per (recipient, group_key): a concurrent
    insert that loses the race gets IntegrityError and joins the winner's row instead. Groups
    close once older than the aggregation window, after which the next event starts a new row.
    """
    key = _group_key(kind, content_type, object_id)
    now = timezone.now()
    for _attempt in range(3):
        Notification.objects.filter(
            recipient=recipient, group_key=key, group_open=True, created_at__lt=now - _aggregation_window()
        ).update(group_open=False)
        existing = (
            Notification.objects.select_for_update().filter(recipient=recipient, group_key=key, group_open=True).first()
        )
        if existing is not None:
            return _join_group(notification=existing, actor=actor, data=data, now=now), False
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=recipient,
                    kind=kind,
                    actor=actor,
                    actors_count=1 if actor is not None else 0,
                    target_content_type=content_type,
                    target_object_id=object_id,
                    data=data,
                    group_key=key,
                    group_open=True,
                    in_app=in_app,
                )
                if actor is not None:
                    NotificationActor.objects.create(notification=notification, actor=actor)
            return notification, True
        except IntegrityError:
            continue
    raise RuntimeError(f"could not aggregate {key} for user {recipient.pk}")


def _join_group(*, notification: Notification, actor, data: dict, now) -> Notification | None:
    """Add ``actor`` to an open group (row locked by the caller). A repeat actor changes nothing."""
    if actor is not None:
        with transaction.atomic():
            _link, added = NotificationActor.objects.get_or_create(notification=notification, actor=actor)
        if not added:
            return None
    Notification.objects.filter(pk=notification.pk).update(
        actor=actor,
        actors_count=F("actors_count") + (1 if actor is not None else 0),
        data=data or notification.data,
        updated_at=now,
        read_at=None,
    )
    notification.refresh_from_db()
    return notification


def _create_deliveries(*, rows: list[tuple[int, int]], channels: dict[int, Channels]) -> list[int]:
    """Outbox rows for email and push, per each recipient's channels and email mode.

    ``rows``: (notification id, recipient id) of new notifications. Returns the ids of the
    deliveries to send now (digest ones wait for the daily digest)."""
    recipient_ids = [uid for _pk, uid in rows]
    wants_email = [uid for uid in recipient_ids if channels[uid].email]
    modes = selectors.email_modes_for_many(user_ids=wants_email) if wants_email else {}
    wants_push = [uid for uid in recipient_ids if channels[uid].push]
    with_devices = (
        set(PushDevice.objects.filter(user_id__in=wants_push).values_list("user_id", flat=True))
        if wants_push
        else set()
    )
    deliveries = []
    for pk, uid in rows:
        mode = modes.get(uid, EmailMode.OFF)
        if mode != EmailMode.OFF:
            status = Delivery.Status.DIGEST if mode == EmailMode.DIGEST else Delivery.Status.PENDING
            deliveries.append(Delivery(notification_id=pk, channel=Channel.EMAIL, status=status))
        if uid in with_devices:
            deliveries.append(Delivery(notification_id=pk, channel=Channel.PUSH))
    created = Delivery.objects.bulk_create(deliveries)
    return [d.pk for d in created if d.status == Delivery.Status.PENDING]


def _after_commit(*, notification_ids: list[int], delivery_ids: list[int]) -> None:
    """Queue the websocket push and the outbox deliveries for after commit."""
    # robust: a channel layer or broker outage must not fail the caller's committed request; pending
    # deliveries are re-driven by the periodic reconcile task.
    if notification_ids:
        transaction.on_commit(lambda: realtime.push_notifications(notification_ids=notification_ids), robust=True)
    if delivery_ids:
        enqueue_on_commit("notifications.tasks.send_deliveries", delivery_ids)


def notify_followers(*, author, kind: str, target, data: dict | None = None) -> FollowerFanOut:
    """Tell the author's followers about new content (new_post, new_video, live_started).

    Never fans out in the request: it writes a ``FollowerFanOut`` outbox row in the caller's
    transaction; after commit a Celery task splits the followers into chunks
    (``NOTIFICATIONS_FANOUT_CHUNK``, 500 by default), each chunk its own task. Each follower's
    preferences, blocks and mutes apply as for ``notify``.
    """
    kind = Kind(kind).value
    if kind not in FOLLOWER_KINDS:
        raise ValueError(f"{kind!r} is not a follower fan-out kind")
    content_type, object_id = target_ref(target)
    with transaction.atomic():
        fan_out = FollowerFanOut.objects.create(
            author=author,
            kind=kind,
            target_content_type=content_type,
            target_object_id=object_id,
            data={**text.describe_target(kind=kind, target=target), **(data or {})},
        )
    enqueue_on_commit("notifications.tasks.fan_out_to_followers", fan_out.pk)
    return fan_out


def follower_chunks(*, author_id: int) -> list[list[int]]:
    ids = selectors.follower_ids(user_id=author_id)
    size = _fanout_chunk_size()
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def notification_fan_out_chunk(
    *,
    author_id: int,
    kind: str,
    target_content_type_id: int | None,
    target_object_id: str,
    data: dict,
    recipient_ids: list[int],
) -> list[int]:
    """Create one follower-kind notification per recipient of a chunk (idempotent on rerun); returns
    the ids of the rows created.

    The rows are one ``INSERT … SELECT`` whose SELECT applies every rule of ``notify`` to the
    chunk (``selectors.fan_out_recipients``); then one read of the recipients' preference rows,
    one of email modes and one of devices for the outbox, and one bulk insert of deliveries.
    Recipients who already have the row are skipped on the unique constraint
    ``notifications_follower_kind_once`` (``ON CONFLICT DO NOTHING``), which also settles a
    duplicate task racing this one: the second insert waits for the first and skips its rows.
    An integrity error all the same (a recipient deleted meanwhile) is tried again.
    """
    for _attempt in range(3):
        try:
            return _fan_out_chunk(
                author_id=author_id,
                kind=kind,
                target_content_type_id=target_content_type_id,
                target_object_id=target_object_id,
                data=data,
                recipient_ids=recipient_ids,
            )
        except IntegrityError:
            continue
    raise RuntimeError(f"could not fan out {kind} of {author_id} to a chunk")


def _fan_out_chunk(
    *,
    author_id: int,
    kind: str,
    target_content_type_id: int | None,
    target_object_id: str,
    data: dict,
    recipient_ids: list[int],
) -> list[int]:
    kind = Kind(kind).value
    author = get_user_model().objects.filter(pk=author_id, deleted_at__isnull=True).first()
    if author is None:
        return []
    recipients = selectors.fan_out_recipients(
        author=author,
        kind=kind,
        target_content_type_id=target_content_type_id,
        target_object_id=target_object_id,
        recipient_ids=recipient_ids,
    )
    now = timezone.now()  # one creation time for the chunk's rows
    columns = {
        "recipient_id": F("pk"),
        "kind": Value(kind),
        "actor_id": Value(author_id),
        "actors_count": Value(1),
        "target_object_id": Value(target_object_id),
        "data": Value(data, output_field=JSONField(encoder=DjangoJSONEncoder)),
        "group_open": Value(False),
        "in_app": F("ch_in_app"),
        "created_at": Value(now, output_field=DateTimeField()),
        "updated_at": Value(now, output_field=DateTimeField()),
    }
    if target_content_type_id is not None:
        columns["target_content_type_id"] = Value(target_content_type_id)
    with transaction.atomic():
        # One INSERT … SELECT: the chunk's filters and rows never make a trip through Python.
        inserted = insert_from_select(
            model=Notification,
            queryset=recipients,
            columns=columns,
            returning=("id", "recipient_id", "in_app"),
            ignore_conflicts=True,  # told already: notifications_follower_kind_once
        )
        inserted.sort()
        rows = [(pk, uid) for pk, uid, _in_app in inserted]
        delivery_ids = []
        if rows:
            channels = selectors.channels_for_many(user_ids=[uid for _pk, uid in rows], kind=kind)
            delivery_ids = _create_deliveries(rows=rows, channels=channels)
        visible = {uid: pk for pk, uid, in_app in inserted if in_app}

        def build(user_ids: set[int]) -> list[Notification]:
            """The rows as the push serializes them, for the recipients who will get one."""
            content_type = ContentType.objects.get_for_id(target_content_type_id) if target_content_type_id else None
            return [
                Notification(
                    pk=visible[uid],
                    recipient_id=uid,
                    kind=kind,
                    actor=author,
                    actors_count=1,
                    target_content_type=content_type,
                    target_object_id=target_object_id,
                    data=data,
                    in_app=True,
                    created_at=now,
                    updated_at=now,
                )
                for uid in sorted(user_ids)
            ]

        if visible:
            # Made only for recipients with a socket open: most of a chunk is offline.
            transaction.on_commit(lambda: realtime.push_built(recipient_ids=list(visible), build=build), robust=True)
        if delivery_ids:
            enqueue_on_commit("notifications.tasks.send_deliveries", delivery_ids)
    return [pk for pk, _uid in rows]

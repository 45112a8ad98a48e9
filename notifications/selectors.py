"""Reads for notifications: lists, unread counts, effective preferences, follower chunks."""

from django.db.models import BooleanField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Block, Mute, User
from accounts.selectors import follower_ids as graph_follower_ids
from notifications.access import inbox_q
from notifications.models import (
    Channel,
    Delivery,
    EmailMode,
    Kind,
    Notification,
    NotificationActor,
    NotificationSettings,
    Preference,
    PushDevice,
)
from notifications.preferences import Channels, default_for
from socialflow.core import access

RECENT_ACTORS = 3


def _inbox(user) -> QuerySet[Notification]:
    """The user's inbox: who may see which notification is the access layer's (``notifications.access``)."""
    return access.visible_to("notification", user)


def notification_list(*, user, kinds: list[str] | None = None, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's in-app notifications, newest activity first, with actor, target type and the
    three most recent actors of aggregated rows prefetched (three queries for any page)."""
    qs = (
        _inbox(user)
        .select_related("actor", "target_content_type")
        .prefetch_related(
            Prefetch(
                "actor_links",
                queryset=NotificationActor.objects.select_related("actor").order_by("-created_at", "-id")[
                    :RECENT_ACTORS
                ],
                to_attr="recent_actor_links",
            )
        )
    )
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


def notification_get_for_user(*, user, notification_id) -> Notification:
    """A notification of the user's inbox or ``Notification.DoesNotExist`` (→ 404, never 403)."""
    return _inbox(user).get(pk=notification_id)


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(inbox_q(), recipient_id=user_id, read_at__isnull=True).count()


def unread_counts(*, user_ids: list[int]) -> dict[int, int]:
    """Unread counts of many users in one grouped query (for pushes after a fan-out chunk)."""
    counts = dict.fromkeys(user_ids, 0)
    counts.update(
        Notification.objects.filter(inbox_q(), recipient_id__in=user_ids, read_at__isnull=True)
        .values_list("recipient_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("recipient_id", "n")
    )
    return counts


def channels_for(*, user_id: int, kind: str) -> Channels:
    pref = Preference.objects.filter(user_id=user_id, kind=kind).first()
    if pref is None:
        return default_for(kind)
    return Channels(in_app=pref.in_app, email=pref.email, push=pref.push)


def channels_for_many(*, user_ids: list[int], kind: str) -> dict[int, Channels]:
    """Effective channels of ``kind`` for each user, in one query."""
    default = default_for(kind)
    result = dict.fromkeys(user_ids, default)
    for pref in Preference.objects.filter(user_id__in=user_ids, kind=kind):
        result[pref.user_id] = Channels(in_app=pref.in_app, email=pref.email, push=pref.push)
    return result


def preferences_for(*, user_id: int) -> dict[str, Channels]:
    """Every kind's effective channels for the user (defaults overlaid with their rows)."""
    result = {kind.value: default_for(kind) for kind in Kind}
    for pref in Preference.objects.filter(user_id=user_id):
        result[pref.kind] = Channels(in_app=pref.in_app, email=pref.email, push=pref.push)
    return result


def email_mode_for(*, user_id: int) -> str:
    mode = NotificationSettings.objects.filter(user_id=user_id).values_list("email_mode", flat=True).first()
    return mode or EmailMode.IMMEDIATE


def email_modes_for_many(*, user_ids: list[int]) -> dict[int, str]:
    result = dict.fromkeys(user_ids, EmailMode.IMMEDIATE.value)
    result.update(NotificationSettings.objects.filter(user_id__in=user_ids).values_list("user_id", "email_mode"))
    return result


def follower_ids(*, user_id: int) -> list[int]:
    """Ids of the user's followers (the social graph is the accounts app's)."""
    return list(graph_follower_ids(user_id=user_id))


def fan_out_recipients(
    *, author, kind: str, target_content_type_id: int | None, target_object_id: str, recipient_ids: list[int]
) -> QuerySet[User]:
    """The users of ``recipient_ids`` to tell about the author's ``kind`` (a follower kind), by id.

    The rules of ``notify`` for a whole chunk, as one query the fan-out inserts from: active, not
    deleted, not the author, neither blocked either way nor muting the author, and some channel of
    ``kind`` on. Annotated with each user's effective channels (``ch_in_app``, ``ch_email``,
    ``ch_push``: their ``Preference`` row, else the default).

    Users told already (a re-run chunk) are left out here only for a fan-out without a target:
    with one, the insert skips them on the unique constraint ``notifications_follower_kind_once``
    (an index probe per row), as a join here would compare the chunk with every row the fan-out
    wrote so far whenever the planner misjudges how many that is.
    """
    default = default_for(kind)
    preference = Preference.objects.filter(user_id=OuterRef("pk"), kind=kind)

    def channel(name: str):
        return Coalesce(
            Subquery(preference.values(name)[:1]), Value(getattr(default, name)), output_field=BooleanField()
        )

    # Correlated per follower (index probes on the unique pairs), so an author muted or blocked by
    # very many stays a lookup per row instead of a list the size of theirs.
    users = (
        User.objects.filter(pk__in=recipient_ids, is_active=True, deleted_at__isnull=True)
        .exclude(pk=author.pk)
        .exclude(Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=author.pk)))
        .exclude(Exists(Block.objects.filter(blocker_id=author.pk, blocked_id=OuterRef("pk"))))
        .exclude(Exists(Mute.objects.filter(muter_id=OuterRef("pk"), muted_id=author.pk)))
    )
    if target_content_type_id is None:
        # NULLs are distinct in the unique constraint: only this check keeps these rows single.
        told = Notification.objects.filter(
            recipient_id=OuterRef("pk"),
            kind=kind,
            actor_id=author.pk,
            target_content_type__isnull=True,
            target_object_id=target_object_id,
        )
        users = users.exclude(Exists(told))
    return (
        users.annotate(ch_in_app=channel("in_app"), ch_email=channel("email"), ch_push=channel("push"))
        .filter(Q(ch_in_app=True) | Q(ch_email=True) | Q(ch_push=True))
        .order_by("pk")
    )


def notification_list_by_ids(*, ids: list[int]) -> QuerySet[Notification]:
    """Rows by id with what the serializer needs prefetched (for pushes and emails)."""
    return (
        Notification.objects.filter(pk__in=ids)
        .select_related("actor", "recipient", "target_content_type")
        .prefetch_related(
            Prefetch(
                "actor_links",
                queryset=NotificationActor.objects.select_related("actor").order_by("-created_at", "-id")[
                    :RECENT_ACTORS
                ],
                to_attr="recent_actor_links",
            )
        )
        .order_by("id")
    )


def devices_for(*, user_id: int) -> list[PushDevice]:
    return list(PushDevice.objects.filter(user_id=user_id).order_by("pk"))


def digest_user_ids() -> list[int]:
    """Users with email deliveries waiting for the daily digest."""
    return list(
        Delivery.objects.filter(status=Delivery.Status.DIGEST, channel=Channel.EMAIL)
        .values_list("notification__recipient_id", flat=True)
        .distinct()
        .order_by("notification__recipient_id")
    )


def devices_queryset(*, user_id: int) -> QuerySet[PushDevice]:
    return PushDevice.objects.filter(user_id=user_id).order_by("-created_at", "-pk")


def device_get_for_user(*, user_id: int, device_id: int) -> PushDevice:
    """The user's own device or ``PushDevice.DoesNotExist`` (→ 404 for anyone else's)."""
    return PushDevice.objects.get(pk=device_id, user_id=user_id)

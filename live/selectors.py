"""Reads for live: stream listings, access checks, chat history, bans."""

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from live.models import ChatMessage, Stream, StreamBan
from socialflow.core import access
from socialflow.core.exceptions import NotFound, PermissionDenied


def stream_list_public(
    *, viewer, status: str = "live", category: str = "", owner_username: str = ""
) -> QuerySet[Stream]:
    """Streams for the directory: live now by default (most watched first), by category or owner."""
    qs = access.visible_to("stream", viewer, queryset=Stream.objects.select_related("owner"))
    if "\x00" in category or "\x00" in owner_username:
        return qs.none()  # nothing stored contains NUL, and PostgreSQL refuses it in a query
    if status != "all":
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category__iexact=category)
    if owner_username:
        qs = qs.filter(owner__username__iexact=owner_username)
    if status == "live":
        return qs.order_by("-current_viewers", "-started_at", "-id")
    return qs.order_by("-created_at", "-id")


def stream_get(*, stream_id, viewer) -> Stream:
    """The stream if ``viewer`` may see it, else ``NotFound``."""
    try:
        stream_id = int(stream_id)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    queryset = Stream.objects.select_related("owner", "owner__live_channel").prefetch_related("recordings")
    stream = access.visible_to("stream", viewer, queryset=queryset).filter(pk=stream_id).first()
    if stream is None:
        raise NotFound()
    return stream


def stream_get_for_owner(*, stream_id, user) -> Stream:
    """The stream if ``user`` owns it; 404 when invisible, 403 when visible but not theirs."""
    stream = stream_get(stream_id=stream_id, viewer=user)
    if not access.can_act(user, "edit", stream, kind="stream"):
        raise PermissionDenied("Only the streamer can do this.", code="not_owner")
    return stream


def stream_get_for_moderator(*, stream_id, user) -> Stream:
    stream = stream_get(stream_id=stream_id, viewer=user)
    if not user_can_moderate(stream=stream, user=user):
        raise PermissionDenied("Only the streamer and moderators can do this.", code="not_moderator")
    return stream


def stream_active_for_owner(*, user) -> Stream | None:
    return (
        Stream.objects.filter(owner=user, status__in=Stream.ACTIVE_STATUSES)
        .prefetch_related("moderators", "recordings")
        .first()
    )


def stream_history_for_owner(*, user, limit: int = 10) -> list[Stream]:
    return list(Stream.objects.filter(owner=user, status=Stream.Status.ENDED).prefetch_related("recordings")[:limit])


def all_time_peak_viewers(*, owner_id: int) -> int:
    return Stream.objects.filter(owner_id=owner_id).aggregate(peak=Max("peak_viewers"))["peak"] or 0


def user_can_moderate(*, stream: Stream, user) -> bool:
    """The streamer, site moderators/staff and the stream's own moderators (``live.access``)."""
    return access.can_act(user, "moderate", stream, kind="stream")


def stream_visible(*, stream_id: int, viewer) -> bool:
    return access.visible_to("stream", viewer).filter(pk=stream_id).exists()


def stream_bans(*, stream: Stream) -> QuerySet[StreamBan]:
    return (
        StreamBan.objects.filter(stream=stream)
        .filter(Q(expires_at=None) | Q(expires_at__gt=timezone.now()))
        .select_related("user", "banned_by")
        .order_by("-created_at", "-id")
    )


def chat_history(*, stream: Stream, viewer) -> QuerySet[ChatMessage]:
    """The stream's messages ``viewer`` may read, deleted ones left out."""
    queryset = ChatMessage.objects.filter(stream=stream, deleted_at=None).select_related("user")
    return access.visible_to("chat_message", viewer, queryset=queryset)


def chat_message_get(*, stream: Stream, message_id) -> ChatMessage:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    message = ChatMessage.objects.filter(pk=message_id, stream=stream).select_related("user").first()
    if message is None:
        raise NotFound()
    return message


def stream_for_chat(*, stream_id: int, user) -> Stream | None:
    """The stream with what a chat send needs about ``user`` in one query.

    Annotates ``user_is_stream_moderator`` (the stream's own moderator list) and
    ``user_ban_id`` (an active ban or timeout, if any).
    """
    bans = StreamBan.objects.filter(stream=OuterRef("pk"), user_id=user.pk).filter(
        Q(expires_at=None) | Q(expires_at__gt=timezone.now())
    )
    return (
        Stream.objects.filter(pk=stream_id)
        .annotate(
            user_is_stream_moderator=Exists(
                Stream.moderators.through.objects.filter(stream_id=OuterRef("pk"), user_id=user.pk)
            ),
            user_ban_id=Subquery(bans.values("pk")[:1]),
        )
        .first()
    )


def stream_for_event(*, stream_id: int) -> Stream | None:
    """A stream an event named, with its owner; None once deleted (not a visibility check)."""
    return Stream.objects.select_related("owner").filter(pk=stream_id).first()


def chat_context(*, message: ChatMessage, around: int = 5) -> list[ChatMessage]:
    """The messages just before and after ``message`` in its stream's chat, oldest first (for the
    moderation console's preview of a reported message; every state, moderated ones included)."""
    base = ChatMessage.objects.filter(stream_id=message.stream_id)
    before = list(base.filter(pk__lt=message.pk).order_by("-pk")[:around])
    after = list(base.filter(pk__gt=message.pk).order_by("pk")[:around])
    return [*reversed(before), message, *after]


def quota_live_streams(user_id: int) -> int:
    """The user's streams that are idle (about to go live) or live: registered with
    ``socialflow.core.quotas`` as the concurrent live streams in use."""
    return Stream.objects.filter(owner_id=user_id, status__in=Stream.ACTIVE_STATUSES).count()

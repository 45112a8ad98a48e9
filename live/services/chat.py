"""Chat: sending under the room's rules, deletion, bans and timeouts. Pushes go out after commit."""

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from live.access import chat_refusal
from live.lib.broadcast import room_send_safely
from live.lib.ratelimit import chat_rate_limit_hit, retry_after_text
from live.models import ChatMessage, Stream, StreamBan
from live.selectors import stream_for_chat
from socialflow.cache import fallback_cache as cache
from socialflow.core import access, screening
from socialflow.core.audit import audit_record
from socialflow.core.moderation import ModerationStatus, moderation_apply


class ChatRefused(Exception):
    """A chat action the room's rules refuse; the consumer turns it into an ``error`` frame."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def message_payload(message: ChatMessage) -> dict:
    payload = {
        "type": "chat.message",
        "id": str(message.pk),
        "user": {"username": message.user.username, "display_name": message.user.display_name},
        "text": message.text,
        "sent_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }
    if message.highlight:
        payload["highlight"] = message.highlight
    # A member of the streamer's channel (the membership provider: monetization) wears a badge.
    owner_id = message.stream.owner_id
    if message.user_id != owner_id and access.is_member(message.user, creator_id=owner_id):
        payload["badges"] = ["member"]
    return payload


ACCESS_REFUSALS = {
    "blocked": "You cannot chat in this stream.",
    "members_only": "Only channel members can chat in this stream.",
}

# Letters that render as nothing (Hangul fillers, the braille blank), beside the format characters.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _is_blank(char: str) -> bool:
    # Cf: zero-width space/joiners, word joiner, BOM, bidi marks… (U+200B-U+200F, U+2060, U+FEFF).
    return char.isspace() or char in _BLANK_LETTERS or unicodedata.category(char) == "Cf"


def _strip_blank(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_blank(text[start]):
        start += 1
    while end > start and _is_blank(text[end - 1]):
        end -= 1
    return text[start:end]


def _check_text(text) -> str:
    if not isinstance(text, str):
        raise ChatRefused("invalid", "The message must be text.")
    if "\x00" in text:  # PostgreSQL text cannot hold NUL (a DataError, i.e. a crashed consumer)
        raise ChatRefused("invalid", "The message contains a NUL character.")
    # Interior joiners stay (an emoji family is glued by U+200D); only invisible ends go, and a
    # message that is nothing but invisible characters is empty.
    text = _strip_blank(text)
    if not text:
        raise ChatRefused("empty", "The message is empty.")
    if len(text) > settings.LIVE_CHAT_MAX_LENGTH:
        raise ChatRefused("too_long", f"Messages are at most {settings.LIVE_CHAT_MAX_LENGTH} characters.")
    return text


def _check_room_rules(stream: Stream, user) -> None:
    if not stream.chat_enabled:
        raise ChatRefused("chat_disabled", "Chat is turned off for this stream.")
    # .first(): an unban may have removed the row since stream_for_chat read its id.
    ban = StreamBan.objects.filter(pk=stream.user_ban_id).first() if stream.user_ban_id else None
    if ban is not None:
        if ban.expires_at is None:
            raise ChatRefused("banned", "You are banned from this chat.")
        wait = (ban.expires_at - timezone.now()).total_seconds()
        raise ChatRefused("timed_out", f"You are timed out from this chat; try again in {retry_after_text(wait)}.")
    if not access.can_act(user, "chat", stream, kind="stream"):
        code = chat_refusal(user, stream) or "not_allowed"
        raise ChatRefused(code, ACCESS_REFUSALS.get(code, "You cannot chat in this stream."))
    if stream.chat_established_only:
        minutes = settings.LIVE_CHAT_ESTABLISHED_MINUTES
        if user.date_joined > timezone.now() - timedelta(minutes=minutes):
            raise ChatRefused("not_established", f"Only accounts older than {minutes} minutes can chat in this stream.")


def chat_message_send(*, stream_id: int, user, text, broadcast: bool = True) -> ChatMessage:
    """Post a message if the room's rules allow it, then broadcast it to the room after commit.

    The websocket consumer passes ``broadcast=False`` and sends ``message_payload(message)`` to the
    room itself from its event loop (no thread hop per message).

    Rules in order: text 1..500 chars, stream not ended, chat on, not banned/timed out, not blocked by
    the streamer, members-only, established-only, the token bucket, slow mode. The streamer and
    moderators skip the room rules (not the rate limit).
    """
    text = _check_text(text)
    stream = stream_for_chat(stream_id=stream_id, user=user)
    if stream is None:
        raise ChatRefused("not_found", "This stream does not exist.")
    if stream.status == Stream.Status.ENDED:
        raise ChatRefused("stream_ended", "This stream has ended.")
    is_moderator = stream.owner_id == user.pk or user.is_moderator or stream.user_is_stream_moderator
    if not is_moderator:
        _check_room_rules(stream, user)
    decision = chat_rate_limit_hit(user_id=user.pk)
    if not decision.allowed:
        raise ChatRefused(
            "rate_limited",
            f"You are sending messages too fast; try again in {retry_after_text(decision.retry_after_s)}.",
        )
    if stream.slow_mode_s and not is_moderator:
        slow_key = f"live:slow:{stream.pk}:{user.pk}"
        if not cache.add(slow_key, timezone.now().timestamp(), timeout=stream.slow_mode_s):
            sent = cache.get(slow_key) or timezone.now().timestamp()
            wait = stream.slow_mode_s - (timezone.now().timestamp() - float(sent))
            raise ChatRefused(
                "slow_mode",
                f"Slow mode is on: one message every {stream.slow_mode_s} s; wait {retry_after_text(wait)}.",
            )
    with transaction.atomic():
        message = ChatMessage.objects.create(stream=stream, user=user, text=text)
        screening.submit("chat_message", message.pk)  # the automatic classifiers, after commit
        Stream.objects.filter(pk=stream.pk).update(chat_messages_count=F("chat_messages_count") + 1)
        if broadcast:
            payload = message_payload(message)
            transaction.on_commit(lambda: room_send_safely(stream_id=stream.pk, event=payload))
    return message


def chat_highlight_send(*, stream_id: int, user, text: str, highlight: dict) -> int | None:
    """A highlighted message another app posts for ``user`` (a paid tip): no room rules, rate limit
    or slow mode (it was paid for), but not into an ended stream or one whose chat is off, and the
    text still 1..500 characters. Broadcast after commit; returns the message id, or None if the
    room takes no messages now."""
    try:
        text = _check_text(text)
    except ChatRefused:
        return None
    stream = Stream.objects.filter(pk=stream_id).first()
    if user is None or stream is None or stream.status == Stream.Status.ENDED or not stream.chat_enabled:
        return None
    with transaction.atomic():
        message = ChatMessage.objects.create(stream=stream, user=user, text=text, highlight=highlight)
        Stream.objects.filter(pk=stream.pk).update(chat_messages_count=F("chat_messages_count") + 1)
        payload = message_payload(message)
        transaction.on_commit(lambda: room_send_safely(stream_id=stream.pk, event=payload))
    return message.pk


def chat_message_delete(*, message: ChatMessage, by, reason: str = "") -> ChatMessage:
    """Take a message out of the chat (idempotent) and tell the room to remove it.

    By its author: a soft delete (``deleted_at``). By anyone else (the streamer, a stream or site
    moderator): a moderator's removal through ``moderation_apply`` (audited, the author told).
    """
    with transaction.atomic():
        if by.pk == message.user_id:
            if ChatMessage.objects.filter(pk=message.pk, deleted_at=None).update(deleted_at=timezone.now()):
                _tell_room_deleted(message)
        else:
            moderation_apply(actor=by, target=message, status=ModerationStatus.REMOVED, reason=reason)
    message.refresh_from_db()
    return message


def chat_message_restore(*, message: ChatMessage, by, reason: str = "") -> bool:
    """Undo a moderator's removal (back in the history); False when it was not removed."""
    return moderation_apply(actor=by, target=message, status=ModerationStatus.VISIBLE, reason=reason) is not None


def chat_message_moderated(*, target: ChatMessage, previous: str, status: str) -> None:
    """``moderation_apply``'s follow-up for a chat message: the room drops a removed message (a
    restored one is back in the history, not pushed again)."""
    if status != ModerationStatus.VISIBLE and previous == ModerationStatus.VISIBLE and target.deleted_at is None:
        _tell_room_deleted(target)


def _tell_room_deleted(message: ChatMessage) -> None:
    event = {"type": "chat.deleted", "id": str(message.pk)}
    transaction.on_commit(lambda: room_send_safely(stream_id=message.stream_id, event=event))


@transaction.atomic
def chat_ban_create(*, stream: Stream, user, by, duration_s: int | None = None, reason: str = "") -> StreamBan:
    """Ban (no duration) or time out (``duration_s``) a user from a stream's chat; replaces an earlier
    one. In the audit trail with who did it (the streamer, a stream or site moderator)."""
    expires_at = timezone.now() + timedelta(seconds=duration_s) if duration_s else None
    ban, _ = StreamBan.objects.update_or_create(
        stream=stream, user=user, defaults={"banned_by": by, "expires_at": expires_at, "reason": reason[:500]}
    )
    audit_record(
        actor=by,
        action="chat.timeout" if expires_at else "chat.ban",
        target=user,
        reason=reason,
        metadata={"stream_id": stream.pk, "expires_at": expires_at},
    )
    return ban


@transaction.atomic
def chat_ban_delete(*, stream: Stream, user, by=None) -> bool:
    deleted, _ = StreamBan.objects.filter(stream=stream, user=user).delete()
    if deleted and by is not None:
        audit_record(actor=by, action="chat.unban", target=user, metadata={"stream_id": stream.pk})
    return bool(deleted)

"""Access rules of the ``stream`` and ``chat_message`` kinds. Registered from ``LiveConfig.ready()``.

A stream is public while its owner's account exists: the directory, the page, the HLS and the
chat history are for everyone, a block included (the streamer's blocks act on the chat, not on
watching; a stream's recording is a video and follows the video rules). Acting on a stream:

- ``chat``: a signed-in viewer sharing no block with the streamer, and, in a members-only stream,
  a member of the streamer's channel (``access.is_member``: the one membership rule). The room's
  other rules (chat off, bans, slow mode, account age) are ``live.services.chat``'s;
- ``moderate`` (delete others' messages, bans): the streamer, site moderators and staff, and the
  stream's own moderators;
- ``end``: the streamer, site moderators and staff; ``edit`` (settings, key): the streamer.

A chat message is visible with its stream unless a moderator held or removed it (the history
also leaves deleted ones out); its author and the stream's moderators may delete it.
"""

from django.db.models import Q

from accounts import access as graph
from live.models import ChatMessage, Stream
from socialflow.core import access


def is_stream_moderator(viewer, stream: Stream) -> bool:
    """The streamer, site moderators/staff, and the stream's own moderators."""
    uid = access.viewer_id(viewer)
    if uid is None:
        return False
    if stream.owner_id == uid or access.is_moderator(viewer):
        return True
    annotated = getattr(stream, "user_is_stream_moderator", None)  # live.selectors.stream_for_chat
    if annotated is not None:
        return bool(annotated)
    return stream.moderators.filter(pk=uid).exists()


def chat_refusal(viewer, stream: Stream) -> str | None:
    """Why the access rules refuse ``viewer`` a message in ``stream`` (a ``ChatRefused`` code), or None."""
    if not access.is_authenticated(viewer):
        return "auth_required"
    if graph.is_blocked_either_way(viewer, stream.owner_id):
        return "blocked"
    if stream.members_only and not access.is_member(viewer, creator_id=stream.owner_id):
        return "members_only"
    return None


class StreamPolicy(access.Policy):
    def visible_q(self, viewer, prefix: str = "") -> Q:
        return Q(**{f"{prefix}owner__deleted_at__isnull": True})

    def can_view(self, viewer, obj) -> bool:
        return obj.owner.deleted_at is None

    def can_act(self, viewer, action: str, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is None:
            return False
        if action == "chat":
            return is_stream_moderator(viewer, obj) or chat_refusal(viewer, obj) is None
        if action == "moderate":
            return is_stream_moderator(viewer, obj)
        if action == "end":
            return uid == obj.owner_id or access.is_moderator(viewer)
        return uid == obj.owner_id  # edit, rotate_key, ...


class ChatMessagePolicy(access.Policy):
    def owner_id(self, obj) -> int | None:
        return obj.user_id

    def visible_q(self, viewer, prefix: str = "") -> Q:
        # A held or removed message leaves the history for everyone, the room's moderators too.
        return access.visible_q("stream", viewer, prefix=f"{prefix}stream__") & access.moderation_shown_q(prefix)

    def can_view(self, viewer, obj) -> bool:
        if not access.can_view(viewer, obj.stream, kind="stream"):
            return False
        # One moderated message stays reachable for its author and the room's moderators (a
        # delete of a removed message still deletes it).
        if access.is_moderation_hidden(obj):
            return access.viewer_id(viewer) == obj.user_id or is_stream_moderator(viewer, obj.stream)
        return True

    def can_act(self, viewer, action: str, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is None:
            return False
        if action == "delete":
            return obj.user_id == uid or is_stream_moderator(viewer, obj.stream)
        return True


def register() -> None:
    access.register_policy("stream", StreamPolicy(), model=Stream)
    access.register_policy("chat_message", ChatMessagePolicy(), model=ChatMessage)

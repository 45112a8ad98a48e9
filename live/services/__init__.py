"""Writes for live: streams and their state machine, ingest callbacks, chat, bans, recordings."""

from live.services.chat import (
    ChatRefused,
    chat_ban_create,
    chat_ban_delete,
    chat_message_delete,
    chat_message_moderated,
    chat_message_restore,
    chat_message_send,
)
from live.services.ingest import (
    IngestDenied,
    ingest_publish,
    ingest_publish_done,
    ingest_record_done,
    ingest_update,
    stream_recordings_import,
)
from live.services.streams import (
    channel_get_or_create,
    channel_rotate_key,
    stream_create,
    stream_disconnect,
    stream_end,
    stream_end_if_abandoned,
    stream_go_live,
    stream_rotate_key,
    stream_update,
    stream_viewers_record,
    stream_watch_time_add,
)

__all__ = [
    "ChatRefused",
    "IngestDenied",
    "chat_ban_create",
    "chat_ban_delete",
    "chat_message_delete",
    "chat_message_moderated",
    "chat_message_restore",
    "chat_message_send",
    "ingest_publish",
    "ingest_publish_done",
    "ingest_update",
    "ingest_record_done",
    "channel_get_or_create",
    "channel_rotate_key",
    "stream_recordings_import",
    "stream_create",
    "stream_disconnect",
    "stream_end",
    "stream_end_if_abandoned",
    "stream_go_live",
    "stream_rotate_key",
    "stream_update",
    "stream_viewers_record",
    "stream_watch_time_add",
]

"""Writes for posts, the social graph, media and search (one transaction each, keyword-only).

Split by subject; import from here: ``from posts.services import post_create, follow_create``.
"""

from posts.services.counters import counters_recount
from posts.services.graph import (
    block_create,
    block_delete,
    follow_create,
    follow_delete,
    follow_request_accept,
    follow_request_reject,
    mute_create,
    mute_delete,
)
from posts.services.media import media_create
from posts.services.posts import (
    bookmark_create,
    bookmark_delete,
    like_create,
    like_delete,
    post_create,
    post_delete,
    post_hide,
    post_restore,
    post_update,
    repost_create,
    repost_delete,
)
from posts.services.search import search_record

__all__ = [
    "block_create",
    "block_delete",
    "bookmark_create",
    "bookmark_delete",
    "counters_recount",
    "follow_create",
    "follow_delete",
    "follow_request_accept",
    "follow_request_reject",
    "like_create",
    "like_delete",
    "media_create",
    "mute_create",
    "mute_delete",
    "post_create",
    "post_delete",
    "post_hide",
    "post_restore",
    "post_update",
    "repost_create",
    "repost_delete",
    "search_record",
]

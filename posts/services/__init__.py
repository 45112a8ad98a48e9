"""Writes for posts, media and search (one transaction each, keyword-only).

Split by subject; import from here: ``from posts.services import post_create, like_create``.
The social graph (follows, blocks, mutes) is ``accounts.services``.
"""

from posts.services.counters import counters_recount
from posts.services.media import media_create
from posts.services.posts import (
    bookmark_create,
    bookmark_delete,
    like_create,
    like_delete,
    post_create,
    post_delete,
    post_hide,
    post_moderated,
    post_restore,
    post_update,
    post_video_detach,
    repost_create,
    repost_delete,
)
from posts.services.search import search_record

__all__ = [
    "bookmark_create",
    "bookmark_delete",
    "counters_recount",
    "like_create",
    "like_delete",
    "media_create",
    "post_create",
    "post_delete",
    "post_hide",
    "post_moderated",
    "post_video_detach",
    "post_restore",
    "post_update",
    "repost_create",
    "repost_delete",
    "search_record",
]

"""Every write of the videos domain. Plain functions, keyword-only arguments, one transaction each.

Split by topic; import from here (``videos.services.video_create_from_file`` is a cross-app contract).
"""

from videos.services.cache import video_cache_invalidate
from videos.services.playlists import (
    playlist_create,
    playlist_delete,
    playlist_item_add,
    playlist_item_remove,
    playlist_update,
)
from videos.services.social import (
    comment_approve,
    comment_create,
    comment_delete,
    comment_hold,
    comment_like,
    comment_moderated,
    comment_pin,
    comment_unlike,
    comment_unpin,
    video_react,
    video_unreact,
)
from videos.services.thumbnails import video_thumbnail_set
from videos.services.transcode import (
    transcode_claim,
    transcode_claim_next,
    transcode_run,
    transcodes_reconcile,
)
from videos.services.uploads import (
    LocalAppend,
    upload_append,
    upload_append_finish,
    upload_append_start,
    upload_create,
    upload_expire_abandoned,
    upload_terminate,
)
from videos.services.videos import (
    video_announce_if_due,
    video_count_refresh,
    video_create_from_file,
    video_create_from_uploaded_file,
    video_delete,
    video_hide,
    video_mark_failed,
    video_moderated,
    video_publish_due,
    video_restore,
    video_retranscode,
    video_update,
)
from videos.services.views import (
    view_count_crossed,
    view_counts_flush,
    view_heartbeat,
    view_heartbeats_flush,
    view_start,
    view_threshold_ms,
)

__all__ = [
    "video_cache_invalidate",
    "video_thumbnail_set",
    "comment_approve",
    "comment_create",
    "comment_delete",
    "comment_hold",
    "comment_moderated",
    "comment_like",
    "comment_pin",
    "comment_unlike",
    "comment_unpin",
    "playlist_create",
    "playlist_delete",
    "playlist_item_add",
    "playlist_item_remove",
    "playlist_update",
    "transcode_claim",
    "transcode_claim_next",
    "transcode_run",
    "transcodes_reconcile",
    "LocalAppend",
    "upload_append",
    "upload_append_finish",
    "upload_append_start",
    "upload_create",
    "upload_expire_abandoned",
    "upload_terminate",
    "video_announce_if_due",
    "video_create_from_file",
    "video_create_from_uploaded_file",
    "video_delete",
    "video_count_refresh",
    "video_hide",
    "video_mark_failed",
    "video_moderated",
    "video_publish_due",
    "video_react",
    "video_restore",
    "video_retranscode",
    "video_unreact",
    "video_update",
    "view_count_crossed",
    "view_counts_flush",
    "view_heartbeat",
    "view_heartbeats_flush",
    "view_start",
    "view_threshold_ms",
]

"""Videos: upload limits, the transcoding ladder, views."""

from datetime import timedelta
from pathlib import Path

from socialflow.envtools import env

from .base import CELERY_BEAT_SCHEDULE, REQUEST_BODY_LIMITS, VAR_DIR

VIDEO_MAX_UPLOAD_BYTES = env.int("VIDEO_MAX_UPLOAD_BYTES", default=10 * 1024**3)
# A custom thumbnail image (Studio): at most this many bytes; re-encoded as a JPEG of at most 1280x720.
VIDEO_THUMBNAIL_MAX_BYTES = env.int("VIDEO_THUMBNAIL_MAX_BYTES", default=5 * 1024 * 1024)
# multipart adds a little framing around the file itself
REQUEST_BODY_LIMITS += [
    ("/api/v1/uploads", VIDEO_MAX_UPLOAD_BYTES),
    ("/api/v1/videos", VIDEO_MAX_UPLOAD_BYTES + 1024**2),
]
# The Studio's tus-js-client sends uploads in PATCH requests of this size (resumes at a chunk edge).
VIDEO_STUDIO_CHUNK_BYTES = env.int("VIDEO_STUDIO_CHUNK_BYTES", default=8 * 1024**2)
VIDEO_UPLOAD_DIR = Path(env.str("VIDEO_UPLOAD_DIR", default=str(VAR_DIR / "uploads")))
VIDEO_WORK_DIR = Path(env.str("VIDEO_WORK_DIR", default=str(VAR_DIR / "transcode")))
VIDEO_UPLOAD_EXPIRY = timedelta(hours=env.int("VIDEO_UPLOAD_EXPIRY_HOURS", default=24))
VIDEO_MAX_DURATION_S = env.int("VIDEO_MAX_DURATION_S", default=12 * 3600)
VIDEO_MAX_DIMENSION = env.int("VIDEO_MAX_DIMENSION", default=8192)
VIDEO_MIN_DIMENSION = env.int("VIDEO_MIN_DIMENSION", default=16)
VIDEO_LADDER = env.list("VIDEO_LADDER", cast=int, default=[1080, 720, 480, 360, 240])
VIDEO_SEGMENT_SECONDS = env.int("VIDEO_SEGMENT_SECONDS", default=4)
VIDEO_BITS_PER_PIXEL = env.float("VIDEO_BITS_PER_PIXEL", default=0.08)
VIDEO_X264_PRESET = env.str("VIDEO_X264_PRESET", default="veryfast")
VIDEO_FFMPEG_THREADS = env.int("VIDEO_FFMPEG_THREADS", default=0)  # 0 = ffmpeg decides
VIDEO_QUICK_PASS_MIN_S = env.int("VIDEO_QUICK_PASS_MIN_S", default=300)  # lowest rung first above this
VIDEO_TRANSCODE_DEADLINE = timedelta(minutes=env.int("VIDEO_TRANSCODE_DEADLINE_MINUTES", default=120))
VIDEO_TRANSCODE_MAX_ATTEMPTS = env.int("VIDEO_TRANSCODE_MAX_ATTEMPTS", default=3)
VIDEO_VIEW_MIN_WATCH_MS = env.int("VIDEO_VIEW_MIN_WATCH_MS", default=10_000)
VIDEO_VIEW_DEDUP = timedelta(hours=24)
# Watch heartbeats (videos.heartbeats): POST videos/{id}/watch answered ahead of Django from Redis
# (VIDEO_HEARTBEAT_LEAN=false sends them all through Django again); the session state lives in
# Redis this long after its last heartbeat; viewer and video access decisions are reused for
# VIDEO_HEARTBEAT_ACCESS_TTL_S; the buffered heartbeats reach VideoView and analytics every
# VIDEO_HEARTBEAT_FLUSH_S.
VIDEO_HEARTBEAT_LEAN = env.bool("VIDEO_HEARTBEAT_LEAN", default=True)
# Anonymous reads of a video and of the list's first pages answered ahead of Django from their
# cached rendering (videos.api.read_app); false: Django answers them (from the same cache).
VIDEO_READS_LEAN = env.bool("VIDEO_READS_LEAN", default=True)
VIDEO_HEARTBEAT_SESSION_TTL_S = env.int("VIDEO_HEARTBEAT_SESSION_TTL_S", default=6 * 3600)
VIDEO_HEARTBEAT_ACCESS_TTL_S = env.float("VIDEO_HEARTBEAT_ACCESS_TTL_S", default=30.0)
VIDEO_HEARTBEAT_FLUSH_S = env.int("VIDEO_HEARTBEAT_FLUSH_S", default=5)
# tus PATCH bodies are written straight into the upload ahead of Django (videos.api.tus_app; false:
# all through Django, which spools each body to a temporary file first).
VIDEO_UPLOAD_LEAN = env.bool("VIDEO_UPLOAD_LEAN", default=True)
VIDEO_UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE["videos-expire-uploads"] = {
    "task": "videos.tasks.expire_uploads",
    "schedule": timedelta(hours=1),
}
CELERY_BEAT_SCHEDULE["videos-reconcile-transcodes"] = {
    "task": "videos.tasks.reconcile_transcodes",
    "schedule": timedelta(minutes=5),
}
CELERY_BEAT_SCHEDULE["videos-flush-view-counts"] = {
    "task": "videos.tasks.flush_view_counts",
    "schedule": timedelta(seconds=30),
}
CELERY_BEAT_SCHEDULE["videos-flush-heartbeats"] = {
    "task": "videos.tasks.flush_heartbeats",
    "schedule": timedelta(seconds=VIDEO_HEARTBEAT_FLUSH_S),
}
CELERY_BEAT_SCHEDULE["videos-publish-scheduled"] = {
    "task": "videos.tasks.publish_scheduled",
    "schedule": timedelta(minutes=1),
}

"""Live: ingest, HLS, chat rules, presence."""

from datetime import timedelta
from pathlib import Path

from socialflow.envtools import env, env_secret
from socialflow.redis import pubsub_prefix

from .base import CELERY_BEAT_SCHEDULE, CHANNEL_LAYER_PREFIX, REDIS_URL, SECRET_KEY, SITE_URL, VAR_DIR

LIVE_INGEST_SECRET = env_secret("LIVE_INGEST_SECRET") or SECRET_KEY[:32]
# Embedded ingest (manage.py live_ingest): one ffmpeg RTMP listener.
LIVE_EMBEDDED_RTMP_HOST = env.str("LIVE_EMBEDDED_RTMP_HOST", default="127.0.0.1")
LIVE_EMBEDDED_RTMP_PORT = env.int("LIVE_EMBEDDED_RTMP_PORT", default=1935)
# What encoders (OBS) are told to publish to; the stream key goes in OBS's "Stream Key" box.
LIVE_RTMP_URL = env.str(
    "LIVE_RTMP_URL", default=f"rtmp://{LIVE_EMBEDDED_RTMP_HOST}:{LIVE_EMBEDDED_RTMP_PORT}/live"
).rstrip("/")
# Where HLS playlists are served: <base>/<playback_id>/index.m3u8. Embedded: local media.
LIVE_HLS_BASE_URL = env.str("LIVE_HLS_BASE_URL", default=f"{SITE_URL}/api/v1/live/hls").rstrip("/")
LIVE_HLS_DIR = env.str("LIVE_HLS_DIR", default="live/hls")  # embedded listener output, under MEDIA_ROOT
LIVE_RECORDINGS_DIR = Path(env.str("LIVE_RECORDINGS_DIR", default=str(VAR_DIR / "live-recordings")))
# Latency = segment length x playlist length (Owncast: 3 s x 4).
LIVE_HLS_SEGMENT_S = env.int("LIVE_HLS_SEGMENT_S", default=3)
LIVE_HLS_PLAYLIST_LENGTH = env.int("LIVE_HLS_PLAYLIST_LENGTH", default=4)
# Chat rules (Owncast: 3 messages per 2 s, then a 10 s timeout; established = 15 min old accounts).
LIVE_CHAT_MAX_LENGTH = 500
LIVE_CHAT_RATE_MESSAGES = env.int("LIVE_CHAT_RATE_MESSAGES", default=3)
LIVE_CHAT_RATE_PERIOD_S = env.float("LIVE_CHAT_RATE_PERIOD_S", default=2.0)
LIVE_CHAT_RATE_TIMEOUT_S = env.float("LIVE_CHAT_RATE_TIMEOUT_S", default=10.0)
LIVE_CHAT_ESTABLISHED_MINUTES = env.int("LIVE_CHAT_ESTABLISHED_MINUTES", default=15)
# Chat rooms' Redis pub/sub channels (live.lib.hub): one per room, the database number in the name.
LIVE_CHAT_CHANNEL_PREFIX = f"{pubsub_prefix(REDIS_URL, prefix=CHANNEL_LAYER_PREFIX)}:live"
# Frames a chat socket may have waiting (its client not reading) before it is closed with 1013.
LIVE_CHAT_SOCKET_BACKLOG = env.int("LIVE_CHAT_SOCKET_BACKLOG", default=200)
# A process's chat subscription idle this long is sent a PING; no PONG as long again: lost (1013).
LIVE_CHAT_SUBSCRIPTION_CHECK_S = env.float("LIVE_CHAT_SUBSCRIPTION_CHECK_S", default=5.0)
# Presence: a viewer silent this long is dropped; counts are pushed at most this often.
LIVE_VIEWER_TIMEOUT_S = env.float("LIVE_VIEWER_TIMEOUT_S", default=60.0)
LIVE_VIEWERS_PUSH_INTERVAL_S = env.float("LIVE_VIEWERS_PUSH_INTERVAL_S", default=5.0)
CELERY_BEAT_SCHEDULE["live-reconcile-streams"] = {
    "task": "live.tasks.reconcile_streams",
    "schedule": timedelta(minutes=5),
}
LIVE_IDLE_STREAM_TTL = timedelta(hours=env.int("LIVE_IDLE_STREAM_TTL_HOURS", default=72))
# A live stream whose ingest heartbeat (nginx on_update / the embedded supervisor, every minute)
# stopped this long ago lost its publish-done: reconcile ends it.
LIVE_STALE_LIVE_AFTER = timedelta(minutes=env.int("LIVE_STALE_LIVE_AFTER_MINUTES", default=10))
# An encoder that drops and publishes again within this many seconds continues the same stream
# (and recording); after it the stream ends. 0: a publish-done ends the stream at once.
LIVE_RECONNECT_GRACE_S = env.int("LIVE_RECONNECT_GRACE_S", default=90)
# Recording parts are joined this long after the stream ends (the ingest server reports the last
# part just after the publish ends).
LIVE_RECORDING_SETTLE_S = env.int("LIVE_RECORDING_SETTLE_S", default=10)

"""Embedded-mode ingest (``manage.py live_ingest``): an ffmpeg RTMP listener supervised here.

One session at a time: listen on LIVE_EMBEDDED_RTMP_HOST:PORT, learn the stream key the publisher
used, ask ``live.services.ingest_publish`` (the same service nginx-rtmp's callback calls), then
write HLS under MEDIA_ROOT/LIVE_HLS_DIR/<playback id>/ and record to LIVE_RECORDINGS_DIR. When the
publisher stops (or the streamer ends the stream) the session calls publish-done and record-done.
Production uses nginx-rtmp instead (deploy/nginx-rtmp.conf).
"""

import logging
import secrets
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from live import services
from live.lib.rtmp_listener import ListenerConfig, RtmpListener
from live.models import Stream

logger = logging.getLogger(__name__)
HEARTBEAT_S = 30  # ingest heartbeat period; reconcile ends streams silent for LIVE_STALE_LIVE_AFTER


class EmbeddedIngest:
    def __init__(self, *, host: str | None = None, port: int | None = None, poll_s: float = 1.0):
        self.host = host or settings.LIVE_EMBEDDED_RTMP_HOST
        self.port = port or settings.LIVE_EMBEDDED_RTMP_PORT
        self.poll_s = poll_s
        self.stopping = threading.Event()
        self.listener: RtmpListener | None = None

    def new_listener(self) -> tuple[RtmpListener, str]:
        playback_id = secrets.token_hex(12)
        config = ListenerConfig(
            host=self.host,
            port=self.port,
            hls_dir=Path(settings.MEDIA_ROOT) / settings.LIVE_HLS_DIR / playback_id,
            record_path=Path(settings.LIVE_RECORDINGS_DIR) / f"{playback_id}.flv",
            segment_s=settings.LIVE_HLS_SEGMENT_S,
            playlist_length=settings.LIVE_HLS_PLAYLIST_LENGTH,
        )
        return RtmpListener(config), playback_id

    def serve_forever(self) -> None:
        logger.info("live: embedded RTMP ingest on rtmp://%s:%s/live", self.host, self.port)
        while not self.stopping.is_set():
            started = time.monotonic()
            self.run_session()
            if time.monotonic() - started < 1:  # ffmpeg died at once (port taken?): back off
                self.stopping.wait(5)

    def stop(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            self.listener.stop()

    def run_session(self, accept_timeout_s: float | None = None) -> Stream | None:
        """Listen for one publisher and run its session to the end. Returns the stream it published."""
        listener, playback_id = self.new_listener()
        self.listener = listener
        listener.start()
        deadline = time.monotonic() + accept_timeout_s if accept_timeout_s else None
        key = None
        while key is None and not self.stopping.is_set() and listener.running():
            key = listener.wait_for_key(timeout=1.0)
            if deadline and time.monotonic() > deadline:
                break
        if key is None:
            listener.stop()
            self._cleanup(listener, keep_recording=False)
            if listener.stderr_tail and not self.stopping.is_set():
                logger.warning("live: RTMP listener exited: %s", " | ".join(listener.stderr_tail[-3:]))
            return None
        close_old_connections()
        try:
            stream = services.ingest_publish(stream_key=key, playback_id=playback_id)
        except services.IngestDenied as denied:
            logger.warning("live: refused a publisher: %s", denied.detail)
            listener.stop(grace_s=1)
            self._cleanup(listener, keep_recording=False)
            return None
        logger.info("live: stream %s is live (playback %s)", stream.pk, stream.playback_id)
        self._supervise(listener, stream)
        close_old_connections()
        services.ingest_publish_done(name=stream.playback_id)
        record = listener.config.record_path
        if record.is_file() and record.stat().st_size > 0:
            services.ingest_record_done(name=stream.playback_id, path=str(record))
        else:
            record.unlink(missing_ok=True)
        self._cleanup(listener, keep_recording=True)
        close_old_connections()
        return stream

    def _supervise(self, listener: RtmpListener, stream: Stream) -> None:
        """Wait for the publisher to stop; drop it when the streamer ends the stream (or we stop)."""
        last_heartbeat = time.monotonic()
        while listener.running():
            if self.stopping.is_set():
                listener.stop()
                break
            if listener.wait(timeout=self.poll_s) is not None:
                break
            close_old_connections()
            if not Stream.objects.filter(pk=stream.pk, status=Stream.Status.LIVE).exists():
                logger.info("live: stream %s ended by its owner; dropping the publisher", stream.pk)
                listener.stop()
                break
            if time.monotonic() - last_heartbeat >= HEARTBEAT_S:
                # the same heartbeat as nginx-rtmp's on_update: a long broadcast stays live
                try:
                    services.ingest_update(name=stream.playback_id)
                except services.IngestDenied:  # ended between the check above and now
                    listener.stop()
                    break
                last_heartbeat = time.monotonic()

    @staticmethod
    def _cleanup(listener: RtmpListener, *, keep_recording: bool) -> None:
        # Live HLS is only useful while live: the replay is the recording, imported as a video.
        shutil.rmtree(listener.config.hls_dir, ignore_errors=True)
        if not keep_recording:
            listener.config.record_path.unlink(missing_ok=True)

"""Ingest callbacks (nginx-rtmp or the embedded ffmpeg listener) and recordings -> replay videos.

The shared-secret check happens at the edge (``live.api.ingest``); these services assume an
authenticated ingest server and decide per stream key.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from live.models import Recording, Stream
from live.services.streams import stream_end, stream_go_live

logger = logging.getLogger(__name__)


class IngestDenied(Exception):
    """The RTMP server must refuse this publisher (unknown, rotated or finished stream key)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def ingest_publish(*, stream_key: str, playback_id: str | None = None) -> Stream:
    """An encoder starts publishing with ``stream_key``: allow it (stream goes live) or deny.

    ``playback_id`` is the public name the ingest server writes HLS under when it picks one itself
    (the embedded listener); nginx-rtmp is told the stream's own playback id instead.
    """
    stream = Stream.objects.select_related("owner").filter(stream_key=stream_key).first()
    if stream is None:
        raise IngestDenied("unknown_key", "Unknown or rotated stream key.")
    if stream.status == Stream.Status.ENDED:
        raise IngestDenied("stream_ended", "This stream has ended; create a new one.")
    if stream.owner.is_banned or not stream.owner.is_active:
        raise IngestDenied("owner_banned", "The owner of this stream may not broadcast.")
    # A reconnect while live (encoder hiccup) is allowed with the current key.
    stream_go_live(stream=stream, playback_id=playback_id)
    stream.refresh_from_db()
    return stream


def _stream_for_done(name: str) -> Stream | None:
    # After the publish callback renamed the stream to its playback id (nginx), the done callbacks
    # name it by that id; the key stays accepted for servers that do not rename.
    if not name:
        return None
    return Stream.objects.filter(Q(stream_key=name) | Q(playback_id=name)).select_related("owner").first()


def ingest_publish_done(*, name: str) -> Stream:
    stream = _stream_for_done(name)
    if stream is None:
        raise IngestDenied("unknown_key", "Unknown stream.")
    if stream.status == Stream.Status.LIVE:
        stream_end(stream=stream)
        stream.refresh_from_db()
    return stream


def ingest_update(*, name: str) -> Stream:
    """The ingest server says the publisher is still sending (nginx-rtmp ``on_update``, the embedded
    supervisor): keeps a long broadcast from being taken for one whose publish-done was lost."""
    stream = _stream_for_done(name)
    if stream is None:
        raise IngestDenied("unknown_key", "Unknown stream.")
    if stream.status != Stream.Status.LIVE:
        # nginx-rtmp drops the publisher on a 4xx answer: the streamer ended this stream.
        raise IngestDenied("not_live", "This stream is not live.")
    Stream.objects.filter(pk=stream.pk, status=Stream.Status.LIVE).update(updated_at=timezone.now())
    return stream


def _allowed_recording_path(path: str) -> Path | None:
    candidate = Path(path).resolve()
    roots = [Path(settings.LIVE_RECORDINGS_DIR).resolve()]
    if not any(candidate.is_relative_to(root) for root in roots):
        return None
    return candidate if candidate.is_file() else None


def ingest_record_done(*, name: str, path: str) -> Recording:
    """Register a finished recording and import it as a video after commit (idempotent per file)."""
    stream = _stream_for_done(name)
    if stream is None:
        raise IngestDenied("unknown_key", "Unknown stream.")
    file_path = _allowed_recording_path(path)
    if file_path is None:
        raise IngestDenied("bad_path", "The recording is not a file in LIVE_RECORDINGS_DIR.")
    with transaction.atomic():
        recording, created = Recording.objects.get_or_create(
            stream=stream, path=str(file_path), defaults={"size_bytes": file_path.stat().st_size}
        )
        if created:
            from live.tasks import import_recording

            transaction.on_commit(lambda: import_recording.delay(recording.pk))
    return recording


def recording_import(*, recording: Recording) -> Recording:
    """Turn a pending recording into a Video (videos pipeline; transcoding queued on its commit).

    The pending row is locked for the import so two workers never import the same file. Empty
    recordings (a publisher that sent no media) are marked failed rather than creating a broken video.
    """
    with transaction.atomic():
        locked = (
            Recording.objects.select_for_update(of=("self",))
            .select_related("stream__owner")
            .filter(pk=recording.pk, status=Recording.Status.PENDING)
            .first()
        )
        if locked is None:
            recording.refresh_from_db()
            return recording
        recording = locked
        path = Path(recording.path)
        if not path.is_file() or path.stat().st_size == 0:
            return _recording_fail(recording, "The recorded file is missing or empty.")
        try:
            from videos.services import video_create_from_file
        except ImportError:
            return _recording_fail(recording, "The videos pipeline is not available.")
        stream = recording.stream
        started = stream.started_at or recording.created_at
        video = video_create_from_file(
            author=stream.owner,
            path=str(path),
            title=stream.title[:200],
            description=stream.description or f"Live replay of {started:%Y-%m-%d %H:%M} UTC.",
            visibility="members" if stream.members_only else "public",
            source="live",
        )
        recording.video_id = video.pk
        recording.status = Recording.Status.IMPORTED
        recording.error = ""
        recording.save(update_fields=["video_id", "status", "error"])
    return recording


def _recording_fail(recording: Recording, error: str) -> Recording:
    recording.status, recording.error = Recording.Status.FAILED, error[:500]
    recording.save(update_fields=["status", "error"])
    logger.warning("live: recording %s failed: %s", recording.pk, error)
    return recording

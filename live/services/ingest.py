"""Ingest callbacks (nginx-rtmp or the embedded ffmpeg listener) and recordings -> one replay video.

The shared-secret check happens at the edge (``live.api.ingest``); these services assume an
authenticated ingest server and decide per stream key.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from live.lib import recordings
from live.models import LiveChannel, Recording, Stream
from live.services.streams import stream_disconnect, stream_go_live
from socialflow.reliability.queue import enqueue_on_commit
from videos.services import video_create_from_file

logger = logging.getLogger(__name__)


class IngestDenied(Exception):
    """The RTMP server must refuse this publisher (unknown, rotated or finished stream key)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def ingest_publish(*, stream_key: str, playback_id: str | None = None) -> Stream:
    """An encoder starts publishing with its channel's ``stream_key``: allow it or deny.

    The key is the owner's (persistent across streams): the publish goes to the owner's active
    stream, which goes live, or — when its publisher dropped less than ``LIVE_RECONNECT_GRACE_S``
    ago — resumes the same broadcast and recording. ``playback_id`` is the public name the ingest
    server writes HLS under when it picks one itself (the embedded listener); nginx-rtmp is told
    the stream's own playback id instead.
    """
    channel = LiveChannel.objects.select_related("owner").filter(stream_key=stream_key).first() if stream_key else None
    if channel is None:
        raise IngestDenied("unknown_key", "Unknown or rotated stream key.")
    owner = channel.owner
    if owner.is_banned or not owner.is_active or owner.deleted_at is not None:
        raise IngestDenied("owner_banned", "The owner of this stream may not broadcast.")
    stream = Stream.objects.select_related("owner").filter(owner=owner, status__in=Stream.ACTIVE_STATUSES).first()
    if stream is None:
        raise IngestDenied("stream_ended", "No active stream: create one to go live (the stream key stays the same).")
    # A reconnect while live (encoder hiccup) is allowed with the current key.
    stream_go_live(stream=stream, playback_id=playback_id)
    stream.refresh_from_db()
    return stream


def _stream_for_done(name: str) -> Stream | None:
    # nginx-rtmp names the session by the key it published with; the embedded ingest and servers
    # that rename the stream use its playback id. A key means the owner's active stream, else
    # their latest (a recording reported just after the stream ended).
    if not name:
        return None
    stream = Stream.objects.filter(playback_id=name).select_related("owner").first()
    if stream is not None:
        return stream
    channel = LiveChannel.objects.filter(stream_key=name).first()
    if channel is None:
        return None
    streams = Stream.objects.filter(owner_id=channel.owner_id).select_related("owner")
    return streams.filter(status__in=Stream.ACTIVE_STATUSES).first() or streams.order_by("-started_at", "-id").first()


def ingest_publish_done(*, name: str) -> Stream:
    """The publisher stopped: the stream waits ``LIVE_RECONNECT_GRACE_S`` for it to come back."""
    stream = _stream_for_done(name)
    if stream is None:
        raise IngestDenied("unknown_key", "Unknown stream.")
    if stream.status == Stream.Status.LIVE:
        stream_disconnect(stream=stream)
        stream.refresh_from_db()
    return stream


def ingest_update(*, name: str) -> Stream:
    """The ingest server says the publisher is still sending (nginx-rtmp ``on_update``, the embedded
    supervisor): keeps a long broadcast from being taken for one whose publish-done was lost, and
    clears a disconnect reported out of order by an earlier session."""
    stream = _stream_for_done(name)
    if stream is None:
        raise IngestDenied("unknown_key", "Unknown stream.")
    if stream.status != Stream.Status.LIVE:
        # nginx-rtmp drops the publisher on a 4xx answer: the streamer ended this stream.
        raise IngestDenied("not_live", "This stream is not live.")
    Stream.objects.filter(pk=stream.pk, status=Stream.Status.LIVE).update(
        updated_at=timezone.now(), disconnected_at=None
    )
    return stream


def _allowed_recording_path(path: str) -> Path | None:
    candidate = Path(path).resolve()
    roots = [Path(settings.LIVE_RECORDINGS_DIR).resolve()]
    if not any(candidate.is_relative_to(root) for root in roots):
        return None
    return candidate if candidate.is_file() else None


def ingest_record_done(*, name: str, path: str) -> Recording:
    """Register a finished recording part (idempotent per file).

    A broadcast may have several parts (one per publisher session); they are joined and imported
    as one video when the stream ends — at once if it already has.
    """
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
        if created and stream.status == Stream.Status.ENDED:
            enqueue_on_commit("live.tasks.import_stream_recordings", stream.pk)
    return recording


def stream_recordings_import(*, stream: Stream) -> list[Recording]:
    """Join an ended stream's pending recording parts into one file and import it as one Video.

    The pending rows are locked for the import so two workers never import the same files. Empty
    or missing parts are marked failed; with no usable part no video is made. A stream still live
    (or in its grace period) is left alone: its end triggers the import.
    """
    with transaction.atomic():
        locked_stream = Stream.objects.select_for_update().select_related("owner").filter(pk=stream.pk).first()
        if locked_stream is None or locked_stream.status != Stream.Status.ENDED:
            return []
        stream = locked_stream
        pending = list(
            Recording.objects.select_for_update()
            .filter(stream=stream, status=Recording.Status.PENDING)
            .order_by("created_at", "id")
        )
        usable = []
        for recording in pending:
            path = Path(recording.path)
            if path.is_file() and path.stat().st_size > 0:
                usable.append(recording)
            else:
                _recording_fail(recording, "The recorded file is missing or empty.")
        if not usable:
            return pending
        if len(usable) == 1:
            source = Path(usable[0].path)
        else:
            joined = Path(settings.LIVE_RECORDINGS_DIR) / f"stream-{stream.pk}-{usable[0].pk}-joined.mkv"
            try:
                source = recordings.join_parts([Path(r.path) for r in usable], joined)
            except recordings.JoinFailed as exc:
                for recording in usable:
                    _recording_fail(recording, f"Joining the recording parts failed: {exc}")
                return pending
        started = stream.started_at or usable[0].created_at
        video = video_create_from_file(
            author=stream.owner,
            path=str(source),
            title=stream.title[:200],
            description=stream.description or f"Live replay of {started:%Y-%m-%d %H:%M} UTC.",
            visibility="members" if stream.members_only else "public",
            source="live",
        )
        Recording.objects.filter(pk__in=[r.pk for r in usable]).update(
            video_id=video.pk, status=Recording.Status.IMPORTED, error=""
        )
        if len(usable) > 1:  # the joined copy now holds them; the parts go once that is committed
            part_paths = [Path(r.path) for r in usable]
            transaction.on_commit(lambda: [part.unlink(missing_ok=True) for part in part_paths])
    for recording in pending:
        recording.refresh_from_db()
    return pending


def _recording_fail(recording: Recording, error: str) -> Recording:
    recording.status, recording.error = Recording.Status.FAILED, error[:500]
    recording.save(update_fields=["status", "error"])
    logger.warning("live: recording %s failed: %s", recording.pk, error)
    return recording

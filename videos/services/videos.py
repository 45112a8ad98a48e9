"""The video resource: creation from a file, edits, publishing, deletion, moderation."""

import re
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.services import user_counter_set
from socialflow.core import access, events
from socialflow.core.audit import audit_record
from socialflow.core.moderation import ModerationStatus, moderation_apply
from socialflow.reliability.queue import enqueue_on_commit
from videos import storage
from videos.models import Comment, Playlist, Tag, Upload, Video, Visibility
from videos.selectors import channel_video_count
from videos.services.cache import video_cache_invalidate

MAX_TAGS = 20
# comment.deleted events for a deleted video's comments carry at most this many ids each.
COMMENT_IDS_PER_EVENT = 1000
TAG_RE = re.compile(r"[^\w-]+", re.UNICODE)


def normalize_tags(tags: list[str]) -> list[str]:
    """Lowercase, strip '#', collapse whitespace to '-', drop empties and duplicates (order kept)."""
    seen: list[str] = []
    for raw in tags:
        tag = TAG_RE.sub("-", str(raw).strip().lstrip("#").lower()).strip("-")[:50]
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _set_tags(video: Video, tags: list[str]) -> None:
    names = normalize_tags(tags)[:MAX_TAGS]
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    video.tags.set([existing[n] for n in names])


def video_count_refresh(*, author_id: int) -> None:
    """Recount the author's ``videos_count``: what their channel shows everyone (public, ready,
    published, not hidden). A recount rather than +1/-1, so every transition path stays exact."""
    user_counter_set(user_id=author_id, field="videos_count", value=channel_video_count(author_id=author_id))


def _queue_transcode(video_id: int) -> None:
    enqueue_on_commit("videos.tasks.transcode_next")


def source_storage_name(video_id: int, filename: str) -> str:
    suffix = Path(filename).suffix.lower()[:10] if filename else ""
    if not re.fullmatch(r"\.[a-z0-9]{1,9}", suffix or "."):
        suffix = ""
    return f"videos/{video_id}/source/original{suffix or '.bin'}"


@transaction.atomic
def video_create(
    *,
    author,
    title: str,
    description: str = "",
    visibility: str = Visibility.PUBLIC,
    tags: list[str] | None = None,
    published_at: datetime | None = None,
    source: str = Video.Source.UPLOAD,
    original_filename: str = "",
) -> Video:
    """A new video in ``uploading`` state (its bytes arrive later)."""
    video = Video.objects.create(
        author=author,
        title=title.strip()[:255] or "Untitled",
        description=description,
        visibility=visibility,
        source=source,
        published_at=published_at,
        original_filename=original_filename[:255],
    )
    if tags:
        _set_tags(video, tags)
    return video


@transaction.atomic
def video_source_attached(*, video: Video, source_name: str, size: int) -> Video:
    """The bytes are stored: move ``uploading -> processing`` and queue a transcode after commit."""
    now = timezone.now()
    changed = Video.objects.filter(pk=video.pk, status=Video.Status.UPLOADING).update(
        status=Video.Status.PROCESSING, source_name=source_name, source_size=size, queued_at=now, progress=0
    )
    if changed:  # no cache invalidation: neither an uploading video nor this one is playable yet
        _queue_transcode(video.pk)
    video.refresh_from_db()
    return video


@transaction.atomic
def video_create_from_file(
    *,
    author,
    path,
    title: str,
    description: str = "",
    visibility: str = Visibility.PUBLIC,
    source: str = Video.Source.UPLOAD,
    tags: list[str] | None = None,
) -> Video:
    """Take ownership of a local file (moved into storage), create the Video, queue transcoding.

    Used for live recordings becoming VODs and for demo data. The file is moved, not copied.
    """
    path = Path(path)
    size = path.stat().st_size
    video = video_create(
        author=author,
        title=title,
        description=description,
        visibility=visibility,
        source=source,
        tags=tags,
        original_filename=path.name,
    )
    name = storage.save_local_file(local_path=path, name=source_storage_name(video.pk, path.name), move=True)
    return video_source_attached(video=video, source_name=name, size=size)


@transaction.atomic
def video_create_from_uploaded_file(
    *,
    author,
    uploaded_file,
    title: str,
    description: str = "",
    visibility: str = Visibility.PUBLIC,
    tags: list[str] | None = None,
    published_at: datetime | None = None,
) -> Video:
    """The single-request multipart upload (small files): store the bytes, then as above."""
    video = video_create(
        author=author,
        title=title,
        description=description,
        visibility=visibility,
        tags=tags,
        published_at=published_at,
        original_filename=uploaded_file.name or "",
    )
    from django.core.files.storage import default_storage

    name = default_storage.save(source_storage_name(video.pk, uploaded_file.name or ""), uploaded_file)
    return video_source_attached(video=video, source_name=name, size=uploaded_file.size or 0)


_UNSET = object()


@transaction.atomic
def video_update(
    *,
    video: Video,
    title: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
    tags: list[str] | None = None,
    published_at=_UNSET,
) -> Video:
    """Owner edits. A public video that becomes published and ready is announced once."""
    fields = []
    if title is not None:
        video.title = title.strip()
        fields.append("title")
    if description is not None:
        video.description = description
        fields.append("description")
    if visibility is not None:
        video.visibility = visibility
        fields.append("visibility")
    if published_at is not _UNSET:
        video.published_at = published_at
        fields.append("published_at")
    if {"visibility", "published_at"} & set(fields):
        # Who may watch changed: every media link handed out before dies (videos.access).
        video.media_version += 1
        fields.append("media_version")
    if fields:
        video.save(update_fields=[*fields, "updated_at"])
    if tags is not None:
        _set_tags(video, tags)
    video_cache_invalidate(video_ids=[video.pk])
    video_announce_if_due(video=video)
    if {"visibility", "published_at"} & set(fields):
        video_count_refresh(author_id=video.author_id)
    return video


@transaction.atomic
def video_delete(*, video: Video, by=None) -> None:
    """Delete the row (comments, views, reactions cascade) and, after commit, every media file.
    ``by``: staff deleting someone else's video (the admin), written to the audit trail.

    Records ``video.deleted`` and, for the comments that go with it, ``comment.deleted``."""
    if by is not None and by.pk != video.author_id:
        audit_record(actor=by, action="video.delete", target=video)

    prefix = f"videos/{video.pk}"
    source_name = video.source_name
    author_id = video.author_id
    video_id = video.pk
    comment_ids = list(Comment.objects.filter(video_id=video_id).order_by("pk").values_list("pk", flat=True))
    unfinished = Upload.objects.filter(video=video, completed_at__isnull=True).first()
    # Its playlist items cascade away with the row; the playlists' counts must follow.
    Playlist.objects.filter(items__video=video).update(items_count=Greatest(F("items_count") - 1, 0))
    video.delete()
    video_cache_invalidate(video_ids=[video_id])
    if unfinished is not None:  # the row cascades; its spooled bytes must go too
        spool = storage.upload_path(unfinished)
        transaction.on_commit(lambda: spool.unlink(missing_ok=True))
    video_count_refresh(author_id=author_id)
    events.record("video.deleted", video_id=video_id, author_id=author_id)
    for start in range(0, len(comment_ids), COMMENT_IDS_PER_EVENT):
        events.record(
            "comment.deleted", comment_ids=comment_ids[start : start + COMMENT_IDS_PER_EVENT], video_id=video_id
        )
    enqueue_on_commit("videos.tasks.delete_video_media", prefix=prefix, names=[source_name])


@transaction.atomic
def video_mark_failed(*, video_id: int, error: str, token: str | None = None) -> bool:
    """``processing -> failed`` with a message for the uploader (only the current claimer, if given)."""
    qs = Video.objects.filter(pk=video_id, status=Video.Status.PROCESSING)
    if token is not None:
        qs = qs.filter(claim_token=token)
    changed = qs.update(status=Video.Status.FAILED, error=error[:500], claimed_at=None, claim_token="")
    if changed:
        video_cache_invalidate(video_ids=[video_id])
        video = Video.objects.get(pk=video_id)
        events.record("video.failed", video_id=video.pk, author_id=video.author_id, error=video.error)
        video_count_refresh(author_id=video.author_id)
    return bool(changed)


@transaction.atomic
def video_announce_if_due(*, video: Video) -> bool:
    """Record ``video.published`` once (followers hear of it): public, ready, published (not
    scheduled), not hidden."""
    now = timezone.now()
    if (
        video.status != Video.Status.READY
        or video.visibility != Visibility.PUBLIC
        or access.is_moderation_hidden(video)
    ):
        return False
    if video.published_at and video.published_at > now:
        return False
    changed = Video.objects.filter(pk=video.pk, announced_at__isnull=True).update(announced_at=now)
    if changed:
        video.announced_at = now
        events.record("video.published", video_id=video.pk, author_id=video.author_id)
    video_count_refresh(author_id=video.author_id)
    return bool(changed)


def video_publish_due() -> int:
    """Announce scheduled videos whose time has come (the query-time check already shows them)."""
    now = timezone.now()
    due = Video.objects.select_related("author").filter(
        status=Video.Status.READY,
        visibility=Visibility.PUBLIC,
        moderation_status=ModerationStatus.VISIBLE,
        announced_at__isnull=True,
        published_at__lte=now,
    )
    return sum(1 for video in due[:500] if video_announce_if_due(video=video))


@transaction.atomic
def video_hide(*, video: Video, by=None, reason: str = "") -> Video:
    """Moderation: remove from everyone but the owner (and moderators); audited, owner told."""
    moderation_apply(actor=by, target=video, status=ModerationStatus.REMOVED, reason=reason)
    video.refresh_from_db()
    return video


@transaction.atomic
def video_restore(*, video: Video, by=None, reason: str = "") -> Video:
    moderation_apply(actor=by, target=video, status=ModerationStatus.VISIBLE, reason=reason)
    video.refresh_from_db()
    return video


def video_moderated(*, target: Video, previous: str, status: str) -> None:
    """``moderation_apply``'s follow-up for a video (inside its transaction): leaving public view
    bumps ``media_version`` so signed media links handed out before die; the author's video count
    follows; a restored video is announced if it never was."""
    if previous == ModerationStatus.VISIBLE:
        Video.objects.filter(pk=target.pk).update(media_version=F("media_version") + 1)
    if status == ModerationStatus.VISIBLE:
        video_announce_if_due(video=target)
    else:
        video_count_refresh(author_id=target.author_id)


@transaction.atomic
def video_retranscode(*, video: Video) -> Video:
    """Send a video (ready or failed) back through the pipeline; the old outputs stay until replaced."""
    if not video.source_name:
        return video
    changed = (
        Video.objects.filter(pk=video.pk)
        .exclude(status=Video.Status.UPLOADING)
        .update(
            status=Video.Status.PROCESSING,
            progress=0,
            error="",
            queued_at=timezone.now(),
            claimed_at=None,
            claim_token="",
            transcode_attempts=0,
        )
    )
    if changed:
        _queue_transcode(video.pk)
        video_cache_invalidate(video_ids=[video.pk])
    video.refresh_from_db()
    return video

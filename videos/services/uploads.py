"""tus 1.0 uploads: creation, append at an offset, completion into a Video, expiry.

Local mode: bytes go to ``VIDEO_UPLOAD_DIR/<upload id>``; the acknowledged offset is the Upload
row's ``offset`` (the file is truncated back to it before every append, so bytes written by a
request that died before committing its offset are discarded). A file shorter than the offset
(the earlier bytes went to another web process's directory) is never padded: the offset is wound
back to what this file holds and the PATCH answers 409 with it, so the client resends them here.

S3 mode keeps nothing on the web process, so any process can take the next chunk: bytes not yet
in a full part (``S3_PART_SIZE``) wait in a pending object next to the source in the bucket, each
PATCH reads them back, adds its body and either sends everything as the next UploadPart or writes
the pending object again. The row lock (``SELECT ... FOR UPDATE NOWAIT``) keeps two processes
from writing the same upload; completion sends the last part and completes the multipart upload.
"""

import fcntl
import os
import tempfile
from pathlib import Path

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from socialflow.core import quotas, restrictions
from socialflow.core.exceptions import Conflict
from videos import storage
from videos.lib import writeback
from videos.models import Upload, Video
from videos.services.videos import source_storage_name, video_create, video_delete, video_source_attached
from videos.storage import upload_path

S3_PART_SIZE = 8 * 1024 * 1024
READ_CHUNK = 4 * 1024 * 1024


class UploadOffsetConflict(Conflict):
    """The bytes before the offset are not reachable here: the client resumes from ``offset``."""

    def __init__(self, message: str, *, offset: int):
        super().__init__(message, code="offset_mismatch")
        self.offset = offset


def pending_name(upload: Upload) -> str:
    """S3 mode: the bytes after the last part; under the video's prefix so its deletion takes them."""
    return f"{upload.s3_key}.tus-pending"


def _s3_client():
    from django.core.files.storage import default_storage

    return default_storage.connection.meta.client, default_storage.bucket_name, default_storage


@transaction.atomic
def upload_create(*, user, length: int, metadata: dict, visibility: str = "public") -> Upload:
    """Create the Upload and its Video (``uploading``). ``length`` is already checked against the limit.
    403 while the account may not upload (strikes or a moderator's limit: ``socialflow.core.restrictions``),
    or when the creator's plan has no room for one more video of ``length`` bytes
    (``socialflow.core.quotas``: ``quota_exceeded``)."""
    restrictions.check(user, restrictions.UPLOAD)
    quotas.check_videos(user)
    quotas.check_storage(user, length)
    filename = (metadata.get("filename") or metadata.get("name") or "")[:255]
    title = (metadata.get("title") or Path(filename).stem or "Untitled")[:255]
    video = video_create(
        author=user,
        title=title,
        description=(metadata.get("description") or "")[:5000],
        visibility=visibility,
        original_filename=filename,
    )
    upload = Upload.objects.create(
        user=user,
        video=video,
        length=length,
        metadata=metadata,
        filename=filename,
        expires_at=timezone.now() + settings.VIDEO_UPLOAD_EXPIRY,
    )
    if storage.is_local():
        Path(settings.VIDEO_UPLOAD_DIR).mkdir(parents=True, exist_ok=True)
        upload_path(upload).touch()
    else:
        client, bucket, store = _s3_client()
        key_name = source_storage_name(video.pk, filename)
        key = store._normalize_name(key_name)
        response = client.create_multipart_upload(Bucket=bucket, Key=key)
        Upload.objects.filter(pk=upload.pk).update(s3_key=key_name, s3_upload_id=response["UploadId"])
        upload.s3_key, upload.s3_upload_id = key_name, response["UploadId"]
    if length == 0:
        return _complete(upload)
    return upload


def upload_append(*, upload: Upload, offset: int, stream, content_length: int | None) -> Upload:
    """Append the request body at ``offset`` (tus PATCH). Wrong offset or a concurrent PATCH -> 409.

    The new offset is committed with a compare-and-swap on the row, so two racing requests cannot
    both advance it. ``UploadOffsetConflict`` (409) when the earlier bytes are out of reach.
    """
    if not upload.s3_upload_id:
        return _append_local(upload=upload, offset=offset, stream=stream, content_length=content_length)
    upload = _append_s3(upload=upload, offset=offset, stream=stream, content_length=content_length)
    if upload.offset == upload.length:
        return _complete(upload)
    return upload


def _remaining(upload: Upload, content_length: int | None) -> int:
    remaining = upload.length - upload.offset
    return remaining if content_length is None else min(remaining, content_length)


def _copy_body(stream, handle, remaining: int) -> int:
    written = 0
    while written < remaining:
        chunk = stream.read(min(READ_CHUNK, remaining - written))
        if not chunk:
            break
        handle.write(chunk)
        written += len(chunk)
    handle.flush()
    return written


def _wind_back(upload: Upload, to: int) -> None:
    """Move the acknowledged offset back to the bytes that really exist, then tell the client."""
    Upload.objects.filter(pk=upload.pk, offset=upload.offset, completed_at__isnull=True).update(
        offset=to, updated_at=timezone.now()
    )


class LocalAppend:
    """A local-mode append under way (``upload_append_start``): the upload file locked (flock) and
    positioned at the acknowledged offset. ``write`` the body as it arrives, then
    ``upload_append_finish`` (durable, then the offset moves) or ``abort`` (nothing acknowledged;
    the next append truncates what was written)."""

    def __init__(self, upload: Upload, handle, room: int):
        self.upload = upload
        self.room = room  # bytes this append may still take (Upload-Length, Content-Length)
        self.written = 0
        self._handle = handle
        self._written_back = 0  # bytes of this append whose writeback has been started

    def write(self, data) -> None:
        """Append ``data`` (bytes or a memoryview; past ``room`` it is dropped) without copying it."""
        view = memoryview(data)[: self.room]
        fd = self._handle.fileno()
        while view:
            done = os.write(fd, view)
            view = view[done:]
            self.written += done
            self.room -= done
        if self.written - self._written_back >= writeback.KICK_EVERY_BYTES:
            # The disk starts on these pages now, while the rest of the body is still arriving.
            writeback.start_writeback(fd, self.upload.offset + self._written_back, self.written - self._written_back)
            self._written_back = self.written

    def abort(self) -> None:
        self._handle.close()


def upload_append_start(*, upload: Upload, offset: int, content_length: int | None) -> LocalAppend:
    """Local mode: lock the upload file and check ``offset`` against the row (409 ``Conflict`` when
    another request holds the lock, the offset is not the upload's, or the earlier bytes are not in
    this process's upload dir: ``UploadOffsetConflict``, wound back). The caller writes the body to
    the returned ``LocalAppend`` and ends it with ``upload_append_finish`` or ``abort``."""
    path = upload_path(upload)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    handle = open(path, "r+b", buffering=0)  # noqa: SIM115 -- closed by finish or abort
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Conflict("Another request is writing to this upload.", code="upload_locked") from exc
        upload.refresh_from_db()
        if upload.completed_at or offset != upload.offset:
            raise Conflict(f"Upload-Offset must be {upload.offset}.", code="offset_mismatch")
        held = os.fstat(handle.fileno()).st_size
        if held < upload.offset:
            # The earlier bytes went to another process's upload dir; padding would corrupt the file.
            _wind_back(upload, held)
            raise UploadOffsetConflict(
                f"This server holds only {held} bytes of the upload (VIDEO_UPLOAD_DIR is not shared); "
                f"resume at {held}.",
                offset=held,
            )
        handle.truncate(upload.offset)  # bytes past the offset were never acknowledged
        handle.seek(upload.offset)
    except BaseException:
        handle.close()
        raise
    return LocalAppend(upload, handle, _remaining(upload, content_length))


def upload_append_finish(*, append: LocalAppend) -> Upload:
    """Make the written bytes durable, then move the offset (compare-and-swap: 409 ``Conflict`` when
    the upload changed meanwhile); completes the upload when its last byte is in."""
    upload = append.upload
    try:
        os.fdatasync(append._handle.fileno())  # acknowledged bytes are on disk before the offset moves
        new_offset = upload.offset + append.written
        changed = Upload.objects.filter(pk=upload.pk, offset=upload.offset, completed_at__isnull=True).update(
            offset=new_offset, updated_at=timezone.now(), expires_at=timezone.now() + settings.VIDEO_UPLOAD_EXPIRY
        )
        if not changed:
            raise Conflict("The upload changed during this request.", code="offset_mismatch")
        upload.offset = new_offset
    finally:
        append.abort()
    if upload.offset == upload.length:
        return _complete(upload)
    return upload


def _append_local(*, upload: Upload, offset: int, stream, content_length: int | None) -> Upload:
    append = upload_append_start(upload=upload, offset=offset, content_length=content_length)
    try:
        while append.room:
            chunk = stream.read(min(READ_CHUNK, append.room))
            if not chunk:
                break
            append.write(chunk)
    except BaseException:
        append.abort()
        raise
    return upload_append_finish(append=append)


def _append_s3(*, upload: Upload, offset: int, stream, content_length: int | None) -> Upload:
    client, bucket, store = _s3_client()
    pending_key = store._normalize_name(pending_name(upload))
    with transaction.atomic():
        try:
            upload = Upload.objects.select_for_update(nowait=True).get(pk=upload.pk)
        except DatabaseError as exc:
            raise Conflict("Another request is writing to this upload.", code="upload_locked") from exc
        if upload.completed_at or offset != upload.offset:
            raise Conflict(f"Upload-Offset must be {upload.offset}.", code="offset_mismatch")
        pending = upload.offset - upload.s3_flushed
        with tempfile.TemporaryFile() as spool:
            if pending and not _s3_read_pending(client, bucket, pending_key, spool, pending):
                _wind_back(upload, upload.s3_flushed)
                lost = upload.s3_flushed
            else:
                lost = None
                written = _copy_body(stream, spool, _remaining(upload, content_length))
                new_offset = upload.offset + written
                parts, flushed = upload.s3_parts, upload.s3_flushed
                spool.seek(0)
                if new_offset - flushed >= S3_PART_SIZE or new_offset == upload.length:
                    number = len(parts) + 1
                    response = client.upload_part(
                        Bucket=bucket,
                        Key=store._normalize_name(upload.s3_key),
                        UploadId=upload.s3_upload_id,
                        PartNumber=number,
                        Body=spool,  # streamed from the temporary file, not read into memory
                    )
                    # Had we died before the row records it, the retry resends the same part number.
                    parts, flushed = [*parts, {"PartNumber": number, "ETag": response["ETag"]}], new_offset
                elif written:
                    # Only the first ``offset - flushed`` bytes are ever read back, so a pending
                    # object written by a request that then died adds nothing.
                    client.put_object(Bucket=bucket, Key=pending_key, Body=spool)
                Upload.objects.filter(pk=upload.pk).update(
                    offset=new_offset,
                    s3_parts=parts,
                    s3_flushed=flushed,
                    updated_at=timezone.now(),
                    expires_at=timezone.now() + settings.VIDEO_UPLOAD_EXPIRY,
                )
                upload.offset, upload.s3_parts, upload.s3_flushed = new_offset, parts, flushed
    if lost is not None:
        raise UploadOffsetConflict(
            f"The bytes after the last part are gone from storage; resume at {lost}.", offset=lost
        )
    return upload


def _s3_read_pending(client, bucket: str, key: str, spool, pending: int) -> bool:
    """Copy the first ``pending`` bytes of the pending object into ``spool``; False if they are not there."""
    try:
        body = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{pending - 1}")["Body"]
    except ClientError:
        return False
    copied = 0
    for chunk in iter(lambda: body.read(READ_CHUNK), b""):
        spool.write(chunk)
        copied += len(chunk)
    if copied < pending:
        return False
    spool.truncate(pending)
    spool.seek(pending)
    return True


@transaction.atomic
def _complete(upload: Upload) -> Upload:
    """All bytes are in: hand them to storage and move the video to ``processing``."""
    changed = Upload.objects.filter(pk=upload.pk, completed_at__isnull=True, offset=upload.length).update(
        completed_at=timezone.now()
    )
    upload.refresh_from_db()
    if not changed:
        return upload
    video = Video.objects.get(pk=upload.video_id)
    path = upload_path(upload)
    if upload.s3_upload_id:
        client, bucket, store = _s3_client()
        client.complete_multipart_upload(
            Bucket=bucket,
            Key=store._normalize_name(upload.s3_key),
            UploadId=upload.s3_upload_id,
            MultipartUpload={"Parts": upload.s3_parts},
        )
        _s3_forget_pending(upload)
        name = upload.s3_key
    else:
        name = storage.save_local_file(local_path=path, name=source_storage_name(video.pk, upload.filename), move=True)
    video_source_attached(video=video, source_name=name, size=upload.length)
    return upload


def _s3_forget_pending(upload: Upload) -> None:
    client, bucket, store = _s3_client()
    client.delete_object(Bucket=bucket, Key=store._normalize_name(pending_name(upload)))  # absent is fine


@transaction.atomic
def upload_terminate(*, upload: Upload) -> None:
    """Abandon an unfinished upload: its bytes, the S3 multipart upload and the unfinished video."""
    if upload.s3_upload_id:
        client, bucket, store = _s3_client()
        client.abort_multipart_upload(
            Bucket=bucket, Key=store._normalize_name(upload.s3_key), UploadId=upload.s3_upload_id
        )
        _s3_forget_pending(upload)
    video = Video.objects.filter(pk=upload.video_id, status=Video.Status.UPLOADING).first()
    path = upload_path(upload)
    upload.delete()
    if video is not None:
        video_delete(video=video)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


def upload_expire_abandoned() -> int:
    """Terminate uploads idle past their expiry (a periodic task)."""
    expired = Upload.objects.filter(completed_at__isnull=True, expires_at__lt=timezone.now())[:500]
    count = 0
    for upload in expired:
        upload_terminate(upload=upload)
        count += 1
    return count

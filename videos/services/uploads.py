"""tus 1.0 uploads: creation, append at an offset, completion into a Video, expiry.

Local mode: bytes go to ``VIDEO_UPLOAD_DIR/<upload id>``; the acknowledged offset is the Upload
row's ``offset`` (the file is truncated back to it before every append, so bytes written by a
request that died before committing its offset are discarded). S3 mode: the same local file is a
spool for the current part; every full part (``S3_PART_SIZE``) is sent with UploadPart and the
spool restarts, completion sends the last part and completes the multipart upload.
"""

import fcntl
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from socialflow.core.exceptions import Conflict
from videos import storage
from videos.models import Upload, Video
from videos.services.videos import source_storage_name, video_create, video_delete, video_source_attached
from videos.storage import upload_path

S3_PART_SIZE = 8 * 1024 * 1024
READ_CHUNK = 4 * 1024 * 1024


def _s3_client():
    from django.core.files.storage import default_storage

    return default_storage.connection.meta.client, default_storage.bucket_name, default_storage


@transaction.atomic
def upload_create(*, user, length: int, metadata: dict, visibility: str = "public") -> Upload:
    """Create the Upload and its Video (``uploading``). ``length`` is already checked against the limit."""
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
    Path(settings.VIDEO_UPLOAD_DIR).mkdir(parents=True, exist_ok=True)
    upload_path(upload).touch()
    if not storage.is_local():
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

    Holds an exclusive lock on the upload file while writing; the new offset is committed with a
    compare-and-swap on the row, so two racing requests cannot both advance it.
    """
    path = upload_path(upload)
    if not path.exists():
        path.touch()
    with open(path, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Conflict("Another request is writing to this upload.", code="upload_locked") from exc
        upload.refresh_from_db()
        if upload.completed_at or offset != upload.offset:
            raise Conflict(f"Upload-Offset must be {upload.offset}.", code="offset_mismatch")
        base = upload.s3_flushed  # S3 spool holds only the bytes after the parts already sent
        handle.truncate(upload.offset - base)
        handle.seek(upload.offset - base)
        remaining = upload.length - upload.offset
        if content_length is not None:
            remaining = min(remaining, content_length)
        written = 0
        while written < remaining:
            chunk = stream.read(min(READ_CHUNK, remaining - written))
            if not chunk:
                break
            handle.write(chunk)
            written += len(chunk)
        handle.flush()
        os.fdatasync(handle.fileno())  # acknowledged bytes are on disk before the offset moves
        new_offset = upload.offset + written
        parts, flushed = upload.s3_parts, upload.s3_flushed
        if upload.s3_upload_id and (new_offset - flushed >= S3_PART_SIZE or new_offset == upload.length):
            parts, flushed = _s3_send_part(upload, handle, parts, flushed, new_offset)
        changed = Upload.objects.filter(pk=upload.pk, offset=upload.offset, completed_at__isnull=True).update(
            offset=new_offset,
            s3_parts=parts,
            s3_flushed=flushed,
            updated_at=timezone.now(),
            expires_at=timezone.now() + settings.VIDEO_UPLOAD_EXPIRY,
        )
        if not changed:
            raise Conflict("The upload changed during this request.", code="offset_mismatch")
        if flushed != upload.s3_flushed:
            # Only now that the row records the part may the spool forget its bytes; had we died
            # before, the retry would resend the same part number (S3 keeps the last one).
            handle.seek(0)
            handle.truncate(0)
        upload.offset, upload.s3_parts, upload.s3_flushed = new_offset, parts, flushed
    if upload.offset == upload.length:
        return _complete(upload)
    return upload


def _s3_send_part(upload: Upload, handle, parts: list, flushed: int, new_offset: int):
    client, bucket, store = _s3_client()
    handle.seek(0)
    number = len(parts) + 1
    response = client.upload_part(
        Bucket=bucket,
        Key=store._normalize_name(upload.s3_key),
        UploadId=upload.s3_upload_id,
        PartNumber=number,
        Body=handle,  # streamed from the spool, not read into memory
    )
    return [*parts, {"PartNumber": number, "ETag": response["ETag"]}], new_offset


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
        path.unlink(missing_ok=True)
        name = upload.s3_key
    else:
        name = storage.save_local_file(local_path=path, name=source_storage_name(video.pk, upload.filename), move=True)
    video_source_attached(video=video, source_name=name, size=upload.length)
    return upload


@transaction.atomic
def upload_terminate(*, upload: Upload) -> None:
    """Abandon an unfinished upload: its bytes, the S3 multipart upload and the unfinished video."""
    if upload.s3_upload_id:
        client, bucket, store = _s3_client()
        client.abort_multipart_upload(
            Bucket=bucket, Key=store._normalize_name(upload.s3_key), UploadId=upload.s3_upload_id
        )
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

"""Media storage for videos: the same calls for the local filesystem and S3 (django-storages).

Published outputs live under ``videos/<id>/<generation>/``; a generation becomes visible only when
the Video row points at it, so a half-copied generation is never served.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

from socialflow.media_urls import media_url


def upload_path(upload) -> Path:
    """Where a tus upload's bytes are spooled on this machine until it completes."""
    return Path(settings.VIDEO_UPLOAD_DIR) / f"{upload.pk}.part"


def is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def url(name: str) -> str | None:
    return media_url(name)


def save_local_file(*, local_path: Path, name: str, move: bool = False) -> str:
    """Put a local file into storage under ``name``; ``move`` takes ownership (rename when possible)."""
    if is_local():
        target = Path(default_storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                os.replace(local_path, target)
                return name
            except OSError:  # another filesystem
                shutil.move(str(local_path), str(target))
                return name
        shutil.copyfile(local_path, target)
        return name
    with open(local_path, "rb") as handle:
        saved = default_storage.save(name, File(handle, name=os.path.basename(name)))
    if move:
        Path(local_path).unlink(missing_ok=True)
    return saved


def publish_dir(*, local_dir: Path, prefix: str) -> None:
    """Publish a finished output directory under ``prefix``.

    Local storage: one atomic rename of the whole directory. S3: upload every file (the row switch
    that follows is what makes the generation visible).
    """
    if is_local():
        target = Path(default_storage.path(prefix))
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        try:
            os.replace(local_dir, target)
            return
        except OSError:
            shutil.copytree(local_dir, target)
            return
    for path in sorted(local_dir.rglob("*")):
        if path.is_file():
            rel = path.relative_to(local_dir).as_posix()
            with open(path, "rb") as handle:
                default_storage.save(f"{prefix}/{rel}", File(handle, name=path.name))


def delete_prefix(prefix: str) -> None:
    """Remove everything stored under ``prefix`` (a directory locally, a key prefix on S3)."""
    if not prefix or prefix.strip("/") in ("", "videos"):
        return
    if is_local():
        target = Path(default_storage.path(prefix))
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.is_file():
            target.unlink(missing_ok=True)
        return
    bucket = default_storage.bucket
    key_prefix = default_storage._normalize_name(prefix.rstrip("/") + "/")
    bucket.objects.filter(Prefix=key_prefix).delete()


def delete_name(name: str) -> None:
    if name:
        default_storage.delete(name)


@contextmanager
def local_copy(name: str):
    """A local path for a stored file: the file itself locally, a temporary download on S3."""
    if is_local():
        yield Path(default_storage.path(name))
        return
    settings.VIDEO_WORK_DIR.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=settings.VIDEO_WORK_DIR, suffix=Path(name).suffix)
    try:
        with os.fdopen(fd, "wb") as out, default_storage.open(name, "rb") as src:
            shutil.copyfileobj(src, out, 8 * 1024 * 1024)
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)

"""A creator's custom thumbnail: an uploaded image, checked and re-encoded as a JPEG (at most
1280×720), stored under ``videos/<id>/custom/`` so it outlives re-transcodes (whose generations are
replaced) and is signed like the rest of the video's media."""

import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from socialflow.core.exceptions import InvalidInput
from videos import storage
from videos.models import Video
from videos.services.cache import video_cache_invalidate

THUMBNAIL_MAX = (1280, 720)
CUSTOM_DIR = "custom"


def is_custom_thumbnail(video_id: int, name: str) -> bool:
    return bool(name) and name.startswith(f"videos/{video_id}/{CUSTOM_DIR}/")


def _encode(uploaded) -> bytes:
    if uploaded.size > settings.VIDEO_THUMBNAIL_MAX_BYTES:
        raise InvalidInput(
            f"The image is larger than {settings.VIDEO_THUMBNAIL_MAX_BYTES // (1024 * 1024)} MB.", field="thumbnail"
        )
    try:
        image = Image.open(uploaded)
        image.verify()
        uploaded.seek(0)
        image = Image.open(uploaded)
        if image.format not in ("JPEG", "PNG", "WEBP", "GIF"):
            raise InvalidInput("Use a JPEG, PNG, WebP or GIF image.", field="thumbnail")
        if image.width * image.height > 40_000_000:
            raise InvalidInput("The image has too many pixels.", field="thumbnail")
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_MAX)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("Not an image we can read.", field="thumbnail") from exc
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()


def video_thumbnail_set(*, video: Video, image_file) -> Video:
    """Replace the video's thumbnail with an uploaded image (the old custom file is deleted)."""
    data = _encode(image_file)
    name = default_storage.save(f"videos/{video.pk}/{CUSTOM_DIR}/{uuid.uuid4().hex}.jpg", ContentFile(data))
    with transaction.atomic():
        old = Video.objects.select_for_update().values_list("thumbnail", flat=True).get(pk=video.pk)
        Video.objects.filter(pk=video.pk).update(thumbnail=name)
        video_cache_invalidate(video_ids=[video.pk])
        if is_custom_thumbnail(video.pk, old):
            transaction.on_commit(lambda: storage.delete_name(old))
    video.thumbnail = name
    return video

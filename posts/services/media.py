"""Image uploads for posts: validated and re-encoded by Pillow (EXIF stripped), with variants."""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from posts.lib.images import ImageError, UnsupportedImageError, process_image
from posts.models import Media
from socialflow.core.exceptions import InvalidInput, TooLarge, UnsupportedMedia
from socialflow.media_urls import media_url


def media_snapshot(*, media: Media) -> dict:
    """What a post stores about an attachment, so rendering a feed needs no extra query."""
    return {
        "id": str(media.pk),
        "type": "image",
        "url": media_url(media.file),
        "width": media.width,
        "height": media.height,
        "alt_text": media.alt_text,
        "variants": {name: media_url(path) for name, path in media.variants.items()},
    }


def media_create(*, owner, upload, alt_text: str = "") -> Media:
    """Store an uploaded image for a future post. 413 if too big, 415 if not a supported image.

    The files are written first, then the row in one transaction; if the row fails the files are
    removed again, so no half-written media survives.
    """
    if upload is None:
        raise InvalidInput("Attach an image in the 'file' field.", field="file")
    if upload.size > settings.POST_MEDIA_MAX_BYTES:
        raise TooLarge(f"Images are at most {settings.POST_MEDIA_MAX_BYTES // (1024 * 1024)} MiB.")
    if len(alt_text) > 1500:
        raise InvalidInput("At most 1500 characters.", field="alt_text")
    try:
        processed = process_image(upload.read())
    except UnsupportedImageError as exc:
        raise UnsupportedMedia(str(exc)) from exc
    except ImageError as exc:
        raise InvalidInput(str(exc), field="file") from exc
    stem = f"posts/media/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    saved: list[str] = []
    try:
        original = default_storage.save(f"{stem}.{processed.original.extension}", ContentFile(processed.original.data))
        saved.append(original)
        variants = {}
        for name, image in processed.variants.items():
            variants[name] = default_storage.save(f"{stem}_{name}.{image.extension}", ContentFile(image.data))
            saved.append(variants[name])
        with transaction.atomic():
            return Media.objects.create(
                owner=owner,
                file=original,
                variants=variants,
                content_type=processed.original.content_type,
                width=processed.original.width,
                height=processed.original.height,
                size=len(processed.original.data),
                alt_text=alt_text,
            )
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise

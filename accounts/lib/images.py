"""Avatar images: validate an untrusted upload with Pillow and re-encode it as a square thumbnail.

Framework-free. Re-encoding strips EXIF (GPS positions from phones) and anything smuggled after the
image data; the pixel limit is checked from the header before decoding (no decompression bombs).
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
MAX_PIXELS = 40_000_000


class InvalidImage(ValueError):
    pass


@dataclass(frozen=True)
class NormalizedImage:
    content: bytes
    extension: str
    content_type: str


def normalize_avatar(fileobj, *, size: int = 400) -> NormalizedImage:
    """Check that ``fileobj`` is a real JPEG/PNG/GIF/WebP image and return a ``size``² thumbnail."""
    try:
        with Image.open(fileobj) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidImage("Upload a valid image (JPEG, PNG, GIF or WebP).") from exc
    if image_format not in ALLOWED_FORMATS:
        raise InvalidImage("Upload a JPEG, PNG, GIF or WebP image.")
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise InvalidImage("The image dimensions are too large.")
    fileobj.seek(0)
    try:
        with Image.open(fileobj) as image:
            image.seek(0)  # first frame of an animation
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            image = image.convert("RGBA" if has_alpha else "RGB")
            image = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if has_alpha:
                image.save(out, format="PNG", optimize=True)
                return NormalizedImage(out.getvalue(), "png", "image/png")
            image.save(out, format="JPEG", quality=88, optimize=True)
            return NormalizedImage(out.getvalue(), "jpg", "image/jpeg")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidImage("Upload a valid image (JPEG, PNG, GIF or WebP).") from exc

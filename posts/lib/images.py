"""Image validation and re-encoding with Pillow: verify, bound the size, strip metadata, resize.

Re-encoding from decoded pixels drops EXIF (GPS positions, camera serials) and any payload that
rode along in the file; the orientation tag is applied to the pixels first so photos stay upright.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_PIXELS = 50_000_000
VARIANT_SIZES = {"small": 400, "medium": 1200}
ORIGINAL_MAX_SIDE = 4096


class ImageError(ValueError):
    """Not an image we accept (bad data, unsupported format, too many pixels)."""


@dataclass
class EncodedImage:
    data: bytes
    width: int
    height: int
    extension: str
    content_type: str


@dataclass
class ProcessedImage:
    original: EncodedImage
    variants: dict[str, EncodedImage]
    source_format: str


def _encode(image: Image.Image) -> EncodedImage:
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    buffer = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(buffer, format="PNG", optimize=True)
        ext, ctype = "png", "image/png"
    else:
        image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
        ext, ctype = "jpg", "image/jpeg"
    return EncodedImage(buffer.getvalue(), image.width, image.height, ext, ctype)


def process_image(data: bytes) -> ProcessedImage:
    """Validate ``data`` and return the metadata-free original plus resized variants."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in ALLOWED_FORMATS:
                raise UnsupportedImageError(f"Unsupported image format {fmt or 'unknown'}; use JPEG, PNG, GIF or WebP.")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageError("The image has too many pixels.")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)  # first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
            image.info.pop("exif", None)
            if max(image.size) > ORIGINAL_MAX_SIDE:
                image.thumbnail((ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE))
            original = _encode(image)
            variants = {}
            for name, side in VARIANT_SIZES.items():
                copy = image.copy()
                copy.thumbnail((side, side))
                variants[name] = _encode(copy)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError("The file is not a valid image.") from exc
    return ProcessedImage(original=original, variants=variants, source_format=fmt)


class UnsupportedImageError(ImageError):
    """A readable file in a format we do not accept."""

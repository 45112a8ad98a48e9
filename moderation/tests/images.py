"""Generated test images (no media is committed): gradients, shapes, noise."""

import io

import numpy as np
from PIL import Image, ImageDraw


def gradient(width=320, height=240, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    base = rng.uniform(0, 1, size=(1, 1, 3))
    pixels = (255 * np.clip(base * x + (1 - base) * y, 0, 1)).astype(np.uint8)
    pixels = np.broadcast_to(pixels, (height, width, 3)).copy()
    return Image.fromarray(pixels, "RGB")


def shapes(width=320, height=240, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = gradient(width, height, seed)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        box = [x0, y0, x0 + int(rng.integers(20, 120)), y0 + int(rng.integers(20, 120))]
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))

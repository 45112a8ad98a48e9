"""Small helpers shared by the posts tests."""

import io

from PIL import Image


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["results"]]


def all_pages(client, url: str, *, between=None, limit: int = 50) -> list[str]:
    """Follow ``next`` links to the end, calling ``between()`` after each page."""
    seen: list[str] = []
    for _ in range(limit):
        response = client.get(url)
        assert response.status_code == 200, response.content
        seen.extend(ids(response))
        url = response.json()["next"]
        if between is not None:
            between()
        if not url:
            return seen
    raise AssertionError("pagination did not end")


def image_bytes(fmt="JPEG", size=(64, 48), exif_gps=False) -> bytes:
    image = Image.new("RGB", size, (200, 10, 10))
    buffer = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "SpyCam"  # Make
        exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo
        kwargs["exif"] = exif
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()

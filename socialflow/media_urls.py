"""Absolute URLs for stored media: API clients (mobile apps, players) cannot resolve ``/media/…``."""

from django.conf import settings
from django.core.files.storage import default_storage


def media_url(name: str | None) -> str | None:
    """The absolute URL of a stored file (S3/CDN URLs are absolute already; local ones get SITE_URL)."""
    if not name:
        return None
    url = default_storage.url(str(name))
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url

"""Absolute URLs for stored media: API clients (mobile apps, players) cannot resolve ``/media/…``."""

from functools import lru_cache
from urllib.parse import urljoin

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.utils.encoding import filepath_to_uri


@lru_cache(maxsize=8192)
def _local_url(base_url: str, name: str) -> str:
    """``FileSystemStorage.url(name)`` under ``base_url``, remembered: a list of videos asks for
    ~160 of them and urljoin is most of the cost of a video's representation."""
    return urljoin(base_url, filepath_to_uri(name).lstrip("/"))


def media_url(name: str | None) -> str | None:
    """The absolute URL of a stored file (S3/CDN URLs are absolute already; local ones get SITE_URL)."""
    if not name:
        return None
    name = str(name)
    storage = storages["default"]  # what default_storage wraps, without its proxy per attribute
    if type(storage).url is FileSystemStorage.url and storage.base_url is not None:
        url = _local_url(storage.base_url, name)
    else:
        url = default_storage.url(name)
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url

"""Who may fetch a stored media file, and the signed URLs that carry that permission.

A domain app that stores media under a top-level directory (``videos/``) registers a *resolver*
for it (:func:`register_media_root`, from ``AppConfig.ready()``). For a stored name the resolver
returns the :class:`MediaScope` the name belongs to, or ``None`` when nobody may fetch it any more
(the object was deleted). Names under directories nobody registered (avatars, post images) are
served as before.

- A **public** scope (what an anonymous viewer may see) is served unsigned and cacheable.
- Anything else is served only through a **signed path**: ``/media/s/<token>/<name>``. The token
  signs the scope's directory *prefix*, an expiry and the scope's *version*. Because the signature
  sits in the path, the relative URIs inside an HLS playlist (``720p/index.m3u8``, ``seg_001.ts``)
  resolve to signed paths under the same prefix, so one signed master playlist authorises its
  variants and segments and nothing outside its directory. Changing the version (the owner makes
  the video non-public, a moderator hides it) kills every earlier link; deleting the object makes
  its resolver return ``None``.

On S3 the file bytes do not pass through the app: a signed path for a playlist is answered by the
app with the playlist's text, segment URIs rewritten to short-lived presigned S3 URLs; any other
signed path redirects to a presigned URL. :func:`url_for` hands out presigned URLs directly for
single files (posters, sprites, originals).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils.crypto import salted_hmac

from socialflow.media_urls import media_url

SIGNED_PREFIX = "s"  # /media/s/<token>/<name>
TOKEN_RE = re.compile(r"^(?P<exp>[0-9a-f]{1,12})\.(?P<sig>[0-9a-f]{32})$")
_SALT = "socialflow.media-access"


@dataclass(frozen=True)
class MediaScope:
    """The directory a stored name belongs to, and how it may be fetched.

    ``prefix`` ends with ``/`` and is what a signature covers; ``public`` means anyone may fetch it
    unsigned (and caches may keep it); ``version`` is folded into every signature; ``ttl`` is the
    lifetime of the links handed out for it (seconds; ``None``: ``MEDIA_SIGNED_URL_TTL``).
    """

    prefix: str
    public: bool
    version: str
    ttl: int | None = None


Resolver = Callable[[str], "MediaScope | None"]
_resolvers: dict[str, Resolver] = {}


class Unmanaged:
    """Marker: no app manages this name (served as plain public media)."""


UNMANAGED = Unmanaged()


def register_media_root(root: str, resolver: Resolver) -> None:
    """``resolver(name)`` decides for every stored name under ``root/`` (e.g. ``"videos"``)."""
    _resolvers[root.strip("/")] = resolver


def scope_for(name: str) -> MediaScope | Unmanaged | None:
    root = name.split("/", 1)[0]
    resolver = _resolvers.get(root)
    if resolver is None:
        return UNMANAGED
    return resolver(name)


def _signature(prefix: str, expires: int, version: str) -> str:
    return salted_hmac(_SALT, f"{prefix}\n{expires}\n{version}", algorithm="sha256").hexdigest()[:32]


def sign(scope: MediaScope, *, now: float | None = None) -> str:
    """A token for ``scope``'s directory, valid for its ttl."""
    ttl = scope.ttl or settings.MEDIA_SIGNED_URL_TTL
    expires = int(now if now is not None else time.time()) + ttl
    return f"{expires:x}.{_signature(scope.prefix, expires, scope.version)}"


def token_valid(token: str, scope: MediaScope, *, now: float | None = None) -> bool:
    match = TOKEN_RE.match(token or "")
    if match is None:
        return False
    expires = int(match["exp"], 16)
    if expires < int(now if now is not None else time.time()):
        return False
    return hmac.compare_digest(match["sig"], _signature(scope.prefix, expires, scope.version))


def is_local_storage() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def signed_path_url(name: str, scope: MediaScope) -> str:
    """The app's signed path for ``name`` (absolute, like every media URL in the API)."""
    return f"{settings.SITE_URL}{settings.MEDIA_URL}{SIGNED_PREFIX}/{sign(scope)}/{name}"


def presigned_url(name: str, *, ttl: int) -> str:
    """A presigned S3 GET for ``name`` (works on a private bucket; ignores the CDN domain)."""
    client = default_storage.connection.meta.client
    return client.generate_presigned_url(
        "get_object",
        Params={"Bucket": default_storage.bucket_name, "Key": default_storage._normalize_name(name)},
        ExpiresIn=ttl,
    )


def url_for(name: str | None, *, scope: MediaScope | None = None, playlist: bool = False) -> str | None:
    """The URL a client may use for a stored name: plain when public, signed when not.

    ``scope`` saves the resolver's lookup when the caller has the object at hand (a serializer);
    ``playlist`` names an HLS playlist, which on S3 must go through the app's signed path (its
    relative segment URIs cannot carry a presigned query string).
    """
    if not name:
        return None
    if scope is None:
        scope = scope_for(name)
    if scope is None:
        return None
    if isinstance(scope, Unmanaged) or scope.public:
        return media_url(name)
    if is_local_storage() or playlist:
        return signed_path_url(name, scope)
    return presigned_url(name, ttl=scope.ttl or settings.MEDIA_SIGNED_URL_TTL)

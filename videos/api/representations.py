"""Video representations through the hydration cache (``socialflow.hydration``, kind ``"video"``).

The entry is ``VideoSerializer``'s dict (orjson bytes): the part of a video's representation that
is the same for every viewer. It is filed only for a video that anonymous viewers from anywhere
may see (public or unlisted, published, not hidden, no copyright block in effect in any
territory): its media URLs are then plain (unsigned, never expiring) and "who may see it" is the
same answer for almost everyone. What depends on the viewer is added per request, and queried only
for a signed-in viewer: blocks either way (404), ``viewer_reaction``; the owner, moderators and
staff (``original_url``, seeing more) take the uncached path.

Every service that changes what the entry shows or who may see the video invalidates it
(``hydration_invalidate(kind="video", ...)``; authors through the ``"user"`` cascade registered
in ``VideosConfig.ready``), so a hit is as current as the database.
"""

from datetime import timedelta

import orjson
from django.conf import settings
from django.utils import timezone

from accounts import access as graph
from socialflow.api.anonymous_cache import Slot
from socialflow.api.pagination import MAX_ID
from socialflow.core import access, territory
from socialflow.core.exceptions import NotFound
from socialflow.hydration import hydration_read, hydration_store
from videos import selectors
from videos.api.serializers import VideoDetailSerializer, VideoSerializer

KIND = "video"
# The video list's rendered anonymous pages (``VideoViewSet``): one generation for the whole list,
# bumped with every video's (the cascade registered in ``VideosConfig.ready``).
LIST_KIND = "video_list"
LIST_ID = 0
LIST_PAGES_CACHED = 5  # the first pages, where anonymous readers are


def anonymous_detail_slot(*, pk: str, location: str) -> Slot | None:
    """Where the rendered anonymous answer of ``GET videos/{pk}`` is filed (``location``: the
    absolute URL without its query, as Django reads it); ``None`` for an id that is not one (DRF
    answers it)."""
    if not (pk.isascii() and pk.isdigit() and 0 < int(pk) <= MAX_ID):
        return None
    return Slot(kind=KIND, pk=int(pk), variant=f"anonymous|{location}")


def anonymous_list_slot(*, page: str, location: str, country: str | None) -> Slot | None:
    """Where the rendered anonymous answer of ``GET videos?page={page}`` is filed: per location
    (the base of the absolute pagination links) and country (copyright blocks); the first pages
    only."""
    if not (page.isascii() and page.isdigit() and 0 < int(page) <= LIST_PAGES_CACHED):
        return None
    return Slot(kind=LIST_KIND, pk=LIST_ID, variant=f"anonymous|{location}|{country or '-'}|{int(page)}")


def list_of_videos(video_ids: list[int]) -> list[int]:
    """The cascade from videos to the list: any video's change may change any page."""
    return [LIST_ID]


def video_list_due():
    """Until when a rendered list page may be kept: the next scheduled video's ``published_at``
    (it joins the list with no write), or ``HYDRATION_TTL_S`` from now. Read *before* the page."""
    now = timezone.now()
    horizon = now + timedelta(seconds=settings.HYDRATION_TTL_S)
    due = selectors.next_scheduled_publish()
    return horizon if due is None else min(due, horizon)


def seconds_until(moment) -> int:
    """Whole seconds from now until ``moment`` (0 or less: past, or too close to keep anything)."""
    return int((moment - timezone.now()).total_seconds())


def _video_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise NotFound("Video not found.") from exc


def _storable(videos) -> set[int]:
    """Ids among ``videos`` (serialized just now) whose entry may be filed: media public for this
    request and visible to an anonymous viewer of unknown country (inside every territory, so no
    copyright block anywhere)."""
    public = [video for video in videos if getattr(video, "_media_public", False)]
    if not public or territory.viewer_country() is None:
        return {video.pk for video in public}
    token = territory.set_viewer_country(None)
    try:
        return selectors.video_ids_visible_to_anonymous(video_ids=[video.pk for video in public])
    finally:
        territory.reset_viewer_country(token)


def video_page(*, video_ids: list[int]) -> tuple[list[dict], bool]:
    """The representations of ``video_ids`` in that order (ids gone since are left out): hits from
    one MGET, the misses hydrated in one batch and filed. And whether every one of them is the
    shared representation (no signed media link, the same for every anonymous viewer)."""
    hits, tokens = hydration_read(kind=KIND, ids=video_ids)
    found = {pk: orjson.loads(payload) for pk, payload in hits.items()}
    misses = [pk for pk in video_ids if pk not in hits]
    shared = True
    if misses:
        videos = selectors.videos_by_ids(video_ids=misses)
        rendered = VideoSerializer(videos, many=True).data
        storable = _storable(videos)
        payloads = {}
        for video, data in zip(videos, rendered, strict=True):
            found[video.pk] = data
            if video.pk in storable:
                payloads[video.pk] = orjson.dumps(data)
            else:
                shared = False
        hydration_store(kind=KIND, payloads=payloads, tokens=tokens)
    return [found[pk] for pk in video_ids if pk in found], shared


def _takes_cached_entry(viewer, author_id: int) -> bool:
    """A signed-in viewer other than the author, a moderator or staff sees exactly the cached
    entry unless a block stands between them and the author."""
    uid = access.viewer_id(viewer)
    if uid is None:
        return True
    if uid == author_id or access.is_moderator(viewer) or access.is_staff(viewer):
        return False
    if graph.is_blocked_either_way(viewer, author_id):
        raise NotFound("Video not found.")
    return True


def video_detail(*, video_id, viewer) -> tuple[dict, bool]:
    """The detail representation of a video ``viewer`` may see, else ``NotFound`` (as
    ``selectors.video_get_visible``). And whether it is the shared one (the cached entry, with the
    anonymous viewer's fields): what every anonymous viewer is answered."""
    pk = _video_id(video_id)
    hits, tokens = hydration_read(kind=KIND, ids=[pk])
    if pk in hits:
        data = orjson.loads(hits[pk])
        if _takes_cached_entry(viewer, int(data["author"]["id"])):
            reaction = selectors.video_reactions_for(viewer=viewer, video_ids=[pk]).get(pk)
            data["viewer_reaction"] = reaction
            data["original_url"] = None
            return data, True
    video = selectors.video_get_visible(video_id=pk, viewer=viewer)
    reaction = selectors.video_reactions_for(viewer=viewer, video_ids=[pk]).get(pk)
    data = VideoDetailSerializer(video, context={"viewer_reaction": reaction, "viewer": viewer}).data
    shared = pk in _storable([video])
    if shared:
        entry = {name: value for name, value in data.items() if name not in ("viewer_reaction", "original_url")}
        hydration_store(kind=KIND, payloads={pk: orjson.dumps(entry)}, tokens=tokens)
    return data, shared

"""Reads for videos: lists, search, comments, playlists. Who may see what is the access layer's
(``videos.access`` registers the rules of videos, comments and playlists): every read here goes
through ``access.visible_to`` / ``access.can_view``."""

from contextlib import contextmanager

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts import access as graph
from socialflow.core import access, recommendations
from socialflow.core.exceptions import InvalidInput, NotFound, PermissionDenied
from videos import access as video_access
from videos import storage
from videos.access import LISTED, comments_on_visible_video_q, listed_q, published_q
from videos.lib.viewers import viewer_key_for
from videos.models import (
    Comment,
    CommentLike,
    Playlist,
    PlaylistItem,
    Tag,
    Upload,
    Video,
    VideoReaction,
    VideoView,
    Visibility,
)


def _authed(viewer) -> bool:
    return access.is_authenticated(viewer)


def _base() -> QuerySet:
    return Video.objects.select_related("author").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def _listed(viewer, qs: QuerySet | None = None) -> QuerySet:
    """Videos ``viewer`` may find in lists, search and recommendations: visible to them, listed
    (not unlisted, private, hidden or scheduled), and not by an author they block, are blocked by
    or mute."""
    qs = _base() if qs is None else qs
    if not _authed(viewer):
        # An anonymous viewer's visible_q already holds listed_q's "published": only its
        # visibilities are added (the list's hot path: a filter built per request).
        return access.visible_to("video", viewer, queryset=qs.filter(visibility__in=LISTED))
    qs = access.visible_to("video", viewer, queryset=qs.filter(listed_q()))
    return qs.exclude(graph.blocked_either_way_q(viewer) | graph.muted_q(viewer))


def channel_video_count(*, author_id: int) -> int:
    """How many videos the author's channel shows everyone (the profile's ``videos_count``)."""
    return Video.objects.filter(published_q(), author_id=author_id, visibility=Visibility.PUBLIC).count()


def _refuse_nul(**params: str | None) -> None:
    """PostgreSQL cannot take a NUL in a query string: a clear 400 rather than a 500."""
    for name, value in params.items():
        if value and "\x00" in value:
            raise InvalidInput("Null characters are not allowed.", field=name, code="null_characters_not_allowed")


def video_can_view(*, video: Video, viewer) -> bool:
    return access.can_view(viewer, video, kind="video")


def video_get_visible(*, video_id, viewer) -> Video:
    """The video if ``viewer`` may see it, else ``NotFound`` (404 hides existence)."""
    try:
        video = _base().get(pk=int(video_id))
    except (Video.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Video not found.") from exc
    if not video_can_view(video=video, viewer=viewer):
        raise NotFound("Video not found.")
    if not _authed(viewer):
        video_access.media_public_known(video, public=True)
    return video


def videos_by_ids(*, video_ids: list[int]) -> list[Video]:
    """Videos by id with what their representation reads (author, tags), no access check: for
    ids a visibility-checked list query just returned."""
    return list(_base().filter(pk__in=video_ids))


def video_ids_visible_to_anonymous(*, video_ids: list[int]) -> set[int]:
    """Which of ``video_ids`` an anonymous viewer may see (in the current territory context)."""
    return set(
        access.visible_to("video", None, queryset=Video.objects.filter(pk__in=video_ids)).values_list("pk", flat=True)
    )


def video_ids_of_authors(author_ids: list[int]) -> list[int]:
    return list(Video.objects.filter(author_id__in=author_ids).values_list("pk", flat=True))


def next_scheduled_publish():
    """When the next video scheduled for later is published (``None``: none is): the moment
    every list may change without a write."""
    return (
        Video.objects.filter(published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )


def video_get_owned(*, video_id, user) -> Video:
    """The caller's own video (for edits): 404 if the caller cannot see it, 403 if it is not theirs."""
    video = video_get_visible(video_id=video_id, viewer=user)  # 404 for what the caller cannot see
    if not access.can_act(user, "edit", video, kind="video"):
        raise PermissionDenied("Only the owner can do this.")
    return video


def _search(qs: QuerySet, query: str) -> QuerySet:
    query = (query or "").strip()[:200]
    if not query:
        return qs
    if settings.IS_POSTGRES:
        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "description", weight="B", config="english"
        )
        search = SearchQuery(query, search_type="websearch", config="english")
        # Match with @@, rank only to order: ts_rank gives non-matching rows 1e-20 (not 0) for
        # multi-word queries, so "rank > 0" matched every video.
        return (
            qs.alias(search_document=vector)
            .annotate(search_rank=SearchRank(vector, search))
            .filter(Q(search_document=search) | Q(tags__name=query.lower().lstrip("#")))
            .distinct()
            .order_by("-search_rank", "-published_at", "-id")
        )
    words = query.split()
    for word in words[:10]:
        qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(tags__name=word.lower()))
    return qs.distinct()


ORDERINGS = {
    "-published_at": ("-published_at", "-id"),
    "published_at": ("published_at", "id"),
    "-views_count": ("-views_count", "-id"),
    "-likes_count": ("-likes_count", "-id"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
}


def video_list(
    *, viewer, author: str | None = None, tag: str | None = None, q: str | None = None, ordering: str | None = None
) -> QuerySet:
    """Listed videos. Filtering by your own username lists all your videos, any state (the Studio)."""
    _refuse_nul(author=author, tag=tag, q=q, ordering=ordering)
    qs = _base()
    own = _authed(viewer) and author and author.lower() == viewer.username.lower()
    if own:
        qs = qs.filter(author_id=viewer.pk)
    else:
        qs = _listed(viewer, qs)
        if author:
            qs = qs.filter(author__username__iexact=author)
    if tag:
        qs = qs.filter(tags__name=tag.lower().lstrip("#"))
    order = ORDERINGS.get(ordering or "", ("-created_at", "-id") if own else ("-published_at", "-id"))
    qs = qs.order_by(*order)
    if q:
        qs = _search(qs, q)
        if ordering in ORDERINGS:
            qs = qs.order_by(*ORDERINGS[ordering])
    return qs


def video_search(*, query: str, viewer) -> QuerySet:
    """Listed videos visible to ``viewer`` matching ``query`` (ranked full-text on PostgreSQL)."""
    _refuse_nul(q=query)
    return _search(_listed(viewer).order_by("-published_at", "-id"), query)


def video_up_next(*, video: Video, viewer, limit: int = 20) -> list[Video]:
    """What to watch next: the recommendation model's neighbours of this video (watched, liked or
    shared by the same people), then the same author, then the same tags, then the most viewed —
    the popularity fallback for a new video or a new viewer. Public, listed and visible to the
    viewer (blocked, muted, private, members-only and removed never appear), never the current one."""
    qs = _listed(viewer).filter(visibility=Visibility.PUBLIC).exclude(pk=video.pk)
    modelled = [pk for pk, _ in recommendations.related(kind="video", item_id=video.pk, limit=limit * 3)]
    chosen: list[Video] = []
    if modelled:
        found = {v.pk: v for v in qs.filter(pk__in=modelled)}
        chosen = [found[pk] for pk in modelled if pk in found][:limit]
    seen = {v.pk for v in chosen}
    if len(chosen) < limit:
        same_author = qs.filter(author_id=video.author_id).exclude(pk__in=seen).order_by("-published_at", "-id")
        chosen += list(same_author[: limit - len(chosen)])
        seen = {v.pk for v in chosen}
    tag_ids = [t.pk for t in video.tags.all()]
    if tag_ids and len(chosen) < limit:
        chosen += list(
            qs.filter(tags__in=tag_ids)
            .exclude(pk__in=seen)
            .distinct()
            .order_by("-views_count", "-id")[: limit - len(chosen)]
        )
        seen = {v.pk for v in chosen}
    if len(chosen) < limit:
        chosen += list(qs.exclude(pk__in=seen).order_by("-views_count", "-published_at", "-id")[: limit - len(chosen)])
    return chosen


def video_reactions_for(*, viewer, video_ids: list[int]) -> dict[int, str]:
    if not _authed(viewer) or not video_ids:
        return {}
    return dict(VideoReaction.objects.filter(user=viewer, video_id__in=video_ids).values_list("video_id", "kind"))


def comment_list(*, video: Video, viewer, parent_id: int | None = None) -> QuerySet:
    """Comments of a thread level of a video the viewer may see (``video_get_visible``): held ones
    only for their author and the creator, none by someone blocked either way or muted."""
    qs = Comment.objects.select_related("author").filter(video=video, parent_id=parent_id)
    qs = qs.filter(comments_on_visible_video_q(viewer))  # the video itself is checked already
    if _authed(viewer):
        qs = qs.exclude(graph.muted_q(viewer))
        liked = CommentLike.objects.filter(user_id=viewer.pk, comment_id=OuterRef("pk"))
        qs = qs.annotate(viewer_liked=Exists(liked))
    return qs


def comment_get_visible(*, comment_id, viewer) -> Comment:
    """A comment the viewer may see (its video visible; held ones only for author and creator)."""
    try:
        comment = Comment.objects.select_related("author", "video", "video__author").get(pk=int(comment_id))
    except (Comment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Comment not found.") from exc
    if not access.can_view(viewer, comment, kind="comment"):
        raise NotFound("Comment not found.")
    return comment


def playlist_list(*, viewer, owner: str | None = None) -> QuerySet:
    """Someone's public playlists (all of them for their owner); without ``owner``, the caller's own
    (anonymous: every public one)."""
    _refuse_nul(owner=owner)
    qs = Playlist.objects.select_related("owner")
    if owner:
        qs = qs.filter(owner__username__iexact=owner)
        if not (_authed(viewer) and viewer.username.lower() == owner.lower()):
            qs = qs.filter(visibility=Visibility.PUBLIC)
    elif _authed(viewer):
        qs = qs.filter(owner_id=viewer.pk)
    else:
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return access.visible_to("playlist", viewer, queryset=qs).order_by("-created_at", "-id")


def playlist_get_visible(*, playlist_id, viewer) -> Playlist:
    try:
        playlist = Playlist.objects.select_related("owner").get(pk=int(playlist_id))
    except (Playlist.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Playlist not found.") from exc
    if not access.can_view(viewer, playlist, kind="playlist"):
        raise NotFound("Playlist not found.")
    return playlist


def playlist_videos(*, playlist: Playlist, viewer) -> list[Video]:
    """The playlist's videos in order, minus those the viewer may not see (unlisted ones included:
    the playlist is the link), and minus authors blocked either way or muted."""
    ids = PlaylistItem.objects.filter(playlist=playlist).order_by("position", "id").values_list("video_id", flat=True)
    in_lists = listed_q() | (published_q() & Q(visibility=Visibility.UNLISTED))
    if _authed(viewer):
        in_lists |= Q(author_id=viewer.pk)
    videos = access.visible_to("video", viewer, queryset=_base().filter(in_lists, pk__in=list(ids)))
    if _authed(viewer):
        videos = videos.exclude(graph.blocked_either_way_q(viewer) | graph.muted_q(viewer))
    by_id = {v.pk: v for v in videos}
    return [by_id[i] for i in ids if i in by_id]


def view_get_for_viewer(*, view_id, video: Video, user, ip: str, user_agent: str):
    """The playback session, only for the viewer who opened it (same user, or same IP + agent)."""
    key = viewer_key_for(user=user, ip=ip, user_agent=user_agent)
    view = VideoView.objects.filter(pk=view_id, video=video, viewer_key=key).first()
    if view is None:
        raise NotFound("View not found.", code="view_not_found")
    return view


def upload_get_own(*, upload_id, user):
    try:
        return Upload.objects.get(pk=upload_id, user=user)
    except (Upload.DoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:  # malformed UUID too
        raise NotFound("Upload not found.") from exc


# --- for other apps' event handlers (not visibility checks: the handler decides) -----------------


def video_for_event(*, video_id: int) -> Video | None:
    """A video an event named, with its author; None once deleted."""
    return Video.objects.select_related("author").filter(pk=video_id).first()


def comment_for_event(*, comment_id: int) -> Comment | None:
    """A comment an event named, with its author and video; None once deleted."""
    return Comment.objects.select_related("author", "video").filter(pk=comment_id).first()


@contextmanager
def video_source_local_copy(*, video: Video):
    """A local path to the video's original upload (a temporary download on S3), or None without one.

    For readers of the media that are not the transcoder (copyright fingerprinting).
    """
    if not video.source_name:
        yield None
        return
    with storage.local_copy(video.source_name) as path:
        yield path


def video_titles(*, video_ids) -> dict[int, str]:
    """Titles by id for reports (analytics' top videos); deleted videos are absent."""
    return dict(Video.objects.filter(pk__in=list(video_ids)).values_list("pk", "title"))


def video_authors(*, video_ids) -> dict[int, tuple[int, int | None]]:
    """``{video id: (author id, duration in ms)}`` for revenue routing; deleted videos are absent."""
    rows = Video.objects.filter(pk__in=list(video_ids)).values_list("pk", "author_id", "duration_ms")
    return {pk: (author_id, duration_ms) for pk, author_id, duration_ms in rows}


def videos_of_author(*, author_id: int) -> QuerySet:
    """Every video of an author, newest first, whatever its state (the creator's own reports)."""
    return Video.objects.filter(author_id=author_id).order_by("-created_at", "-id")


def comments_for_creator(*, video: Video, limit: int = 100) -> list[Comment]:
    """The Studio's moderation list: a creator's video's comments and replies, held ones too,
    pinned first, then newest first (the caller has checked ownership)."""
    return list(
        Comment.objects.select_related("author")
        .filter(video=video)
        .order_by(F("pinned_at").desc(nulls_last=True), "-created_at", "-id")[:limit]
    )


def channel_videos(*, author_id: int, viewer, limit: int = 24) -> list[Video]:
    """A channel's public page: the author's videos ``viewer`` may find in lists, newest first
    (the owner sees what everyone sees there; the Studio lists the rest)."""
    return list(_listed(viewer).filter(author_id=author_id).order_by("-published_at", "-id")[:limit])


# --- quota usage (registered with socialflow.core.quotas in VideosConfig.ready) ------------------


def quota_video_count(user_id: int) -> int:
    """The user's videos (uploads under way, live recordings and failed ones included: a deleted
    video is gone, so every row counts)."""
    return Video.objects.filter(author_id=user_id).count()


def quota_storage_bytes(user_id: int) -> int:
    """Bytes of the user's video sources, plus the declared length of uploads not yet complete."""
    stored = Video.objects.filter(author_id=user_id).aggregate(total=Sum("source_size"))["total"] or 0
    pending = (
        Upload.objects.filter(user_id=user_id, completed_at__isnull=True).aggregate(total=Sum("length"))["total"] or 0
    )
    return stored + pending

"""Reads for videos: visibility rules, lists, search, comments, playlists.

Visibility for someone other than the owner (moderators see everything):
- the video must be playable (ready, or processing with a published generation: the quick lowest
  rung of a long video, the previous ladder during a re-transcode), not hidden by moderation, and published (``published_at`` not in the future);
- public: everyone; unlisted: anyone with the id, never listed; followers: the author's followers;
  private and members (reserved for memberships): nobody else. Blocked either way: nobody.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from posts.models import Follow
from posts.selectors import hidden_author_ids_for, is_blocked_either_way
from videos.models import Comment, CommentLike, Playlist, PlaylistItem, Tag, Video, VideoReaction, Visibility


def _authed(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def _base() -> QuerySet:
    return Video.objects.select_related("author").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def _playable_q() -> Q:
    """``Video.is_playable`` as a filter."""
    return Q(status=Video.Status.READY) | (Q(status=Video.Status.PROCESSING) & ~Q(master_playlist=""))


def _published_q() -> Q:
    return (
        _playable_q() & Q(hidden_at__isnull=True) & (Q(published_at__isnull=True) | Q(published_at__lte=timezone.now()))
    )


def _listed_q(viewer) -> Q:
    """Videos a viewer may find in lists and search (not unlisted, not other people's private)."""
    visible = _published_q() & Q(visibility=Visibility.PUBLIC)
    if _authed(viewer):
        followed = Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("author_id"))
        visible |= _published_q() & Q(visibility=Visibility.FOLLOWERS) & Q(Exists(followed))
    return visible


def channel_video_count(*, author_id: int) -> int:
    """How many videos the author's channel shows everyone (the profile's ``videos_count``)."""
    return Video.objects.filter(_published_q(), author_id=author_id, visibility=Visibility.PUBLIC).count()


def _refuse_nul(**params: str | None) -> None:
    """PostgreSQL cannot take a NUL in a query string: a clear 400 rather than a 500."""
    for name, value in params.items():
        if value and "\x00" in value:
            raise ValidationError({name: ["Null characters are not allowed."]}, code="null_characters_not_allowed")


def _exclude_hidden_authors(qs: QuerySet, viewer) -> QuerySet:
    if _authed(viewer):
        hidden = hidden_author_ids_for(viewer_id=viewer.pk)
        if hidden:
            qs = qs.exclude(author_id__in=hidden)
    return qs


def video_can_view(*, video: Video, viewer) -> bool:
    if _authed(viewer) and (viewer.pk == video.author_id or viewer.is_moderator):
        return True
    if not video.is_playable or video.hidden_at is not None:
        return False
    if video.published_at and video.published_at > timezone.now():
        return False
    if video.visibility in (Visibility.PRIVATE, Visibility.MEMBERS):
        return False
    if _authed(viewer) and is_blocked_either_way(user_a_id=viewer.pk, user_b_id=video.author_id):
        return False
    if video.visibility == Visibility.FOLLOWERS:
        return _authed(viewer) and Follow.objects.filter(follower_id=viewer.pk, followee_id=video.author_id).exists()
    return True


def video_get_visible(*, video_id, viewer) -> Video:
    """The video if ``viewer`` may see it, else ``NotFound`` (404 hides existence)."""
    try:
        video = _base().get(pk=int(video_id))
    except (Video.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Video not found.") from exc
    if not video_can_view(video=video, viewer=viewer):
        raise NotFound("Video not found.")
    return video


def video_get_owned(*, video_id, user) -> Video:
    """The caller's own video (for edits): 404 if the caller cannot see it, 403 if it is not theirs."""
    video = video_get_visible(video_id=video_id, viewer=user)  # 404 for what the caller cannot see
    if video.author_id != user.pk:
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
        qs = _exclude_hidden_authors(qs.filter(_listed_q(viewer)), viewer)
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
    qs = _exclude_hidden_authors(_base().filter(_listed_q(viewer)).order_by("-published_at", "-id"), viewer)
    return _search(qs, query)


def video_up_next(*, video: Video, viewer, limit: int = 20) -> list[Video]:
    """Same author first, then the same tags; public and ready, never the current one."""
    tag_ids = [t.pk for t in video.tags.all()]
    qs = _exclude_hidden_authors(
        _base().filter(_published_q(), visibility=Visibility.PUBLIC).exclude(pk=video.pk), viewer
    )
    same_author = list(qs.filter(author_id=video.author_id).order_by("-published_at", "-id")[:limit])
    seen = {v.pk for v in same_author}
    related: list[Video] = []
    if tag_ids and len(same_author) < limit:
        related = list(
            qs.filter(tags__in=tag_ids)
            .exclude(pk__in=seen)
            .distinct()
            .order_by("-views_count", "-id")[: limit - len(same_author)]
        )
    return [*same_author, *related]


def video_reactions_for(*, viewer, video_ids: list[int]) -> dict[int, str]:
    if not _authed(viewer) or not video_ids:
        return {}
    return dict(VideoReaction.objects.filter(user=viewer, video_id__in=video_ids).values_list("video_id", "kind"))


def comment_list(*, video: Video, viewer, parent_id: int | None = None) -> QuerySet:
    """Comments of a thread level. Held comments only for their author and the creator."""
    qs = Comment.objects.select_related("author").filter(video=video, parent_id=parent_id)
    is_creator = _authed(viewer) and viewer.pk == video.author_id
    if not is_creator:
        held_visible = Q(is_held=False)
        if _authed(viewer):
            held_visible |= Q(author_id=viewer.pk)
        qs = qs.filter(held_visible)
    if _authed(viewer):
        qs = _exclude_hidden_authors(qs, viewer)
        liked = CommentLike.objects.filter(user_id=viewer.pk, comment_id=OuterRef("pk"))
        qs = qs.annotate(viewer_liked=Exists(liked))
    return qs


def comment_get_visible(*, comment_id, viewer) -> Comment:
    """A comment whose video the viewer may see (held ones only for author and creator)."""
    try:
        comment = Comment.objects.select_related("author", "video", "video__author").get(pk=int(comment_id))
    except (Comment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Comment not found.") from exc
    if not video_can_view(video=comment.video, viewer=viewer):
        raise NotFound("Comment not found.")
    if comment.is_held and not (_authed(viewer) and viewer.pk in (comment.author_id, comment.video.author_id)):
        raise NotFound("Comment not found.")
    return comment


def playlist_list(*, viewer, owner: str | None = None) -> QuerySet:
    _refuse_nul(owner=owner)
    qs = Playlist.objects.select_related("owner")
    if owner:
        qs = qs.filter(owner__username__iexact=owner)
        if not (_authed(viewer) and viewer.username.lower() == owner.lower()):
            qs = qs.filter(visibility=Playlist.PlaylistVisibility.PUBLIC)
    elif _authed(viewer):
        qs = qs.filter(owner_id=viewer.pk)
    else:
        qs = qs.filter(visibility=Playlist.PlaylistVisibility.PUBLIC)
    return qs.order_by("-created_at", "-id")


def playlist_get_visible(*, playlist_id, viewer) -> Playlist:
    try:
        playlist = Playlist.objects.select_related("owner").get(pk=int(playlist_id))
    except (Playlist.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Playlist not found.") from exc
    if playlist.visibility == Playlist.PlaylistVisibility.PRIVATE and not (
        _authed(viewer) and viewer.pk == playlist.owner_id
    ):
        raise NotFound("Playlist not found.")
    return playlist


def playlist_videos(*, playlist: Playlist, viewer) -> list[Video]:
    """The playlist's videos in order, minus those the viewer may not see."""
    visible = _listed_q(viewer) | (_published_q() & Q(visibility=Visibility.UNLISTED))
    if _authed(viewer):
        visible |= Q(author_id=viewer.pk)
    ids = PlaylistItem.objects.filter(playlist=playlist).order_by("position", "id").values_list("video_id", flat=True)
    videos = _exclude_hidden_authors(_base().filter(visible, pk__in=list(ids)), viewer)
    by_id = {v.pk: v for v in videos}
    return [by_id[i] for i in ids if i in by_id]


def view_get_for_viewer(*, view_id, video: Video, user, ip: str, user_agent: str):
    """The playback session, only for the viewer who opened it (same user, or same IP + agent)."""
    from videos.models import VideoView
    from videos.services.views import viewer_key_for

    key = viewer_key_for(user=user, ip=ip, user_agent=user_agent)
    view = VideoView.objects.filter(pk=view_id, video=video, viewer_key=key).first()
    if view is None:
        raise NotFound("View not found.", code="view_not_found")
    return view


def upload_get_own(*, upload_id, user):
    from videos.models import Upload

    try:
        return Upload.objects.get(pk=upload_id, user=user)
    except (Upload.DoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:  # malformed UUID too
        raise NotFound("Upload not found.") from exc

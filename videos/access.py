"""Access rules of the ``video``, ``comment`` and ``playlist`` kinds, and who may fetch video media.

Registered from ``VideosConfig.ready()``.

A video, for someone other than its owner (moderators and staff see everything):
- must be playable (ready, or processing with a published generation), not hidden by moderation
  and published (``published_at`` not in the future);
- public and unlisted: everyone (unlisted is never *listed*: see ``LISTED``); followers: the
  author's followers; members: the channel's members (``access.is_member``); private: nobody else;
- never across a block, either way.

Media (``videos/<id>/...``): a generation directory is public — unsigned and cacheable — exactly
when an anonymous viewer may see the video; otherwise only through signed links whose version is
``Video.media_version`` (bumped when the video stops being public or is hidden) and its creation
time (a reused id never revives an old link). Originals (``videos/<id>/source/``) are never
public: owner and staff get a short-lived signed link.
"""

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts import access as graph
from socialflow.core import access, media_access
from videos.models import Comment, Playlist, Video, Visibility

LISTED = (Visibility.PUBLIC, Visibility.FOLLOWERS, Visibility.MEMBERS)


def playable_q(prefix: str = "") -> Q:
    """``Video.is_playable`` as a filter."""
    return Q(**{f"{prefix}status": Video.Status.READY}) | (
        Q(**{f"{prefix}status": Video.Status.PROCESSING}) & ~Q(**{f"{prefix}master_playlist": ""})
    )


def published_q(prefix: str = "") -> Q:
    """Playable, not hidden by moderation, and not scheduled for later."""
    return (
        playable_q(prefix)
        & ~access.moderation_hidden_q(prefix)
        & (Q(**{f"{prefix}published_at__isnull": True}) | Q(**{f"{prefix}published_at__lte": timezone.now()}))
    )


def listed_q(prefix: str = "") -> Q:
    """What may appear in lists, search and recommendations (never unlisted or private)."""
    return published_q(prefix) & Q(**{f"{prefix}visibility__in": LISTED})


def is_published(video: Video) -> bool:
    if not video.is_playable or access.is_moderation_hidden(video):
        return False
    return not (video.published_at and video.published_at > timezone.now())


class VideoPolicy(access.Policy):
    def visible_q(self, viewer, prefix: str = "") -> Q:
        p = prefix
        uid = access.viewer_id(viewer)
        if access.is_moderator(viewer):
            return Q()
        audience = Q(**{f"{p}visibility__in": [Visibility.PUBLIC, Visibility.UNLISTED]})
        if uid is None:
            return published_q(p) & audience
        author = f"{p}author_id"
        audience |= Q(**{f"{p}visibility": Visibility.FOLLOWERS}) & graph.followed_q(viewer, field=author)
        audience |= Q(**{f"{p}visibility": Visibility.MEMBERS}) & access.members_q(viewer, field=author)
        return Q(**{author: uid}) | (published_q(p) & audience & ~graph.blocked_either_way_q(viewer, field=author))

    def can_view(self, viewer, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is not None and (uid == obj.author_id or access.is_moderator(viewer)):
            return True
        if not is_published(obj):
            return False
        if obj.visibility == Visibility.PRIVATE:
            return False
        if graph.is_blocked_either_way(viewer, obj.author_id):
            return False
        if obj.visibility == Visibility.FOLLOWERS:
            return graph.follows(viewer, obj.author_id)
        if obj.visibility == Visibility.MEMBERS:
            return access.is_member(viewer, creator_id=obj.author_id)
        return True

    def can_act(self, viewer, action: str, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is None:
            return action == "view_session"  # anonymous viewers count views too
        if action == "download_original":
            return uid == obj.author_id or access.is_staff(viewer)
        if action in ("edit", "delete"):
            return uid == obj.author_id
        return True


class CommentPolicy(access.Policy):
    """A comment is visible with its video; a held one only to its author and the video's creator
    (and moderators); never across a block. Deleting: the author, the creator, moderators.
    Pin/hold/approve: the creator."""

    def visible_q(self, viewer, prefix: str = "") -> Q:
        return access.visible_q("video", viewer, prefix=f"{prefix}video__") & self.on_video_q(viewer, prefix)

    def on_video_q(self, viewer, prefix: str = "") -> Q:
        """The comment rules alone, for comments of a video the viewer is known to see."""
        if access.is_moderator(viewer):
            return Q()
        p = prefix
        uid = access.viewer_id(viewer)
        shown = ~access.moderation_hidden_q(p)
        if uid is None:
            return shown
        shown |= access.moderation_held_q(p) & (Q(**{f"{p}author_id": uid}) | Q(**{f"{p}video__author_id": uid}))
        return shown & ~graph.blocked_either_way_q(viewer, field=f"{p}author_id")

    def can_view(self, viewer, obj) -> bool:
        if not access.can_view(viewer, obj.video, kind="video"):
            return False
        if not access.is_moderation_hidden(obj) or access.is_moderator(viewer):
            return True
        return access.is_moderation_held(obj) and access.viewer_id(viewer) in (obj.author_id, obj.video.author_id)

    def can_act(self, viewer, action: str, obj) -> bool:
        uid = access.viewer_id(viewer)
        if uid is None:
            return False
        if action == "delete":
            return uid in (obj.author_id, obj.video.author_id) or access.is_moderator(viewer)
        if action in ("pin", "hold", "approve"):
            return uid == obj.video.author_id
        return True


class PlaylistPolicy(access.Policy):
    """Public and unlisted playlists: everyone with the id; private: the owner only."""

    def visible_q(self, viewer, prefix: str = "") -> Q:
        uid = access.viewer_id(viewer)
        q = ~Q(**{f"{prefix}visibility": Visibility.PRIVATE})
        return q | Q(**{f"{prefix}owner_id": uid}) if uid is not None else q

    def can_view(self, viewer, obj) -> bool:
        return obj.visibility != Visibility.PRIVATE or access.viewer_id(viewer) == obj.owner_id

    def can_act(self, viewer, action: str, obj) -> bool:
        return access.viewer_id(viewer) == obj.owner_id


# --- media ----------------------------------------------------------------------------------------


def _signing_version(video: Video) -> str:
    return f"{video.media_version}.{int(video.created_at.timestamp() * 1_000_000)}"


def _scope(video: Video, directory: str) -> media_access.MediaScope:
    prefix = f"videos/{video.pk}/{directory}/"
    version = _signing_version(video)
    if directory == "source":
        return media_access.MediaScope(
            prefix=prefix, public=False, version=f"source.{version}", ttl=settings.MEDIA_ORIGINAL_URL_TTL
        )
    public = getattr(video, "_media_public", None)
    if public is None:  # computed once per loaded video (a serializer asks for several URLs)
        public = video._media_public = access.can_view(None, video, kind="video")
    return media_access.MediaScope(prefix=prefix, public=public, version=version)


def media_public_known(video: Video, *, public: bool) -> None:
    """Record the answer ``_scope`` would query for (may an anonymous viewer see ``video``?) when
    the caller has just had it: an anonymous viewer's ``can_view`` is that very question."""
    video._media_public = public


def media_public_prime(videos: list[Video]) -> None:
    """Answer ``_scope``'s question for a page of videos in one query instead of one per video
    (``visible_q`` for an anonymous viewer is ``can_view(None, video)`` as a filter)."""
    pending = [video for video in videos if getattr(video, "_media_public", None) is None]
    if not pending:
        return
    public = set(
        access.visible_to("video", None, queryset=Video.objects.filter(pk__in=[v.pk for v in pending])).values_list(
            "pk", flat=True
        )
    )
    for video in pending:
        video._media_public = video.pk in public


def comments_on_visible_video_q(viewer) -> Q:
    """Comments ``viewer`` may see among those of a video they may see (a comment list)."""
    return access.policy_for("comment").on_video_q(viewer) & access.rules_q("comment", viewer)


def media_scope(name: str) -> media_access.MediaScope | None:
    """The scope of a stored name under ``videos/``: ``videos/<id>/<generation or source>/...``."""
    parts = name.split("/")
    if len(parts) < 4 or not parts[1].isdigit() or not parts[2]:
        return None
    video = Video.objects.filter(pk=int(parts[1])).first()
    if video is None:
        return None
    return _scope(video, parts[2])


def media_url(video: Video, name: str | None, *, playlist: bool = False) -> str | None:
    """The URL of one of ``video``'s published files for a viewer who may see the video."""
    if not name or not name.startswith(f"videos/{video.pk}/"):
        return None
    return media_access.url_for(name, scope=_scope(video, name.split("/")[2]), playlist=playlist)


def original_url_for(viewer, video: Video) -> str | None:
    """A short-lived link to the uploaded original, for its owner and staff only."""
    if not video.source_name or not access.can_act(viewer, "download_original", video, kind="video"):
        return None
    return media_url(video, video.source_name)


def register() -> None:
    access.register_policy("video", VideoPolicy(), model=Video)
    access.register_policy("comment", CommentPolicy(), model=Comment)
    access.register_policy("playlist", PlaylistPolicy(), model=Playlist)
    media_access.register_media_root("videos", media_scope)

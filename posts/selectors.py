"""Reads for posts (the social graph's reads are ``accounts.selectors``).

``posts_visible_to(viewer=…)`` is the one definition of "who may see which post": deleted,
hidden and deleted-author posts never; followers-only posts and private accounts' posts to
approved followers; direct posts to the people mentioned; never across a block (either way).
Reposts are visible only while the reposted post is. Every list builds on it.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import Block, Follow, Mute, User
from posts.lib.entities import normalize_hashtag
from posts.models import Bookmark, Hashtag, Mention, Post, Visibility
from socialflow.core import access
from socialflow.core.exceptions import NotFound
from socialflow.core.ids import parse_id

OPEN_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)
FOLLOWER_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS)
# Replied-to usernames come from ``Post.entities`` so a page needs no join for them.
POST_RELATED = ("author", "quote_of__author", "repost_of__author", "repost_of__quote_of__author")


# --- visibility -----------------------------------------------------------------------------------


def _blocked_q(viewer_id: int, prefix: str = "") -> Q:
    """Posts whose author blocks the viewer or is blocked by them."""
    return Q(**{f"{prefix}author_id__in": Block.objects.filter(blocker_id=viewer_id).values("blocked_id")}) | Q(
        **{f"{prefix}author_id__in": Block.objects.filter(blocked_id=viewer_id).values("blocker_id")}
    )


def _muted_q(viewer_id: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}author_id__in": Mute.objects.filter(muter_id=viewer_id).values("muted_id")})


def _visible_one_q(viewer, prefix: str = "") -> Q:
    """Visibility of the post at ``prefix`` (``""`` or ``"repost_of__"``) for ``viewer``."""
    p = prefix
    alive = Q(**{f"{p}deleted_at__isnull": True, f"{p}author__deleted_at__isnull": True}) & access.moderation_shown_q(p)
    open_q = Q(**{f"{p}visibility__in": OPEN_VISIBILITIES, f"{p}author__is_private": False})
    if viewer is None or not viewer.is_authenticated:
        return alive & open_q
    follows = Follow.objects.filter(follower_id=viewer.id).values("followee_id")
    followed_q = Q(**{f"{p}author_id__in": follows, f"{p}visibility__in": FOLLOWER_VISIBILITIES})
    outer = "repost_of_id" if p else "pk"
    direct_q = Q(**{f"{p}visibility": Visibility.DIRECT}) & Q(
        Exists(Mention.objects.filter(post_id=OuterRef(outer), user_id=viewer.id))
    )
    return alive & (Q(**{f"{p}author_id": viewer.id}) | open_q | followed_q | direct_q) & ~_blocked_q(viewer.id, p)


def visible_q(viewer) -> Q:
    return _visible_one_q(viewer) & (Q(repost_of__isnull=True) | _visible_one_q(viewer, "repost_of__"))


_FLAG_SQL = {
    "viewer_liked": "EXISTS (SELECT 1 FROM posts_like l WHERE l.user_id = %s AND l.post_id = {target})",
    "viewer_reposted": (
        "EXISTS (SELECT 1 FROM posts_post r WHERE r.author_id = %s AND r.repost_of_id = {target} "
        "AND r.deleted_at IS NULL)"
    ),
    "viewer_bookmarked": "EXISTS (SELECT 1 FROM posts_bookmark b WHERE b.user_id = %s AND b.post_id = {target})",
}
_TARGET_SQL = 'COALESCE("posts_post"."repost_of_id", "posts_post"."id")'


def with_viewer_state(queryset: QuerySet, viewer) -> QuerySet:
    """Annotate ``viewer_liked``/``viewer_reposted``/``viewer_bookmarked`` about the shown post
    (the original for a repost), as EXISTS subqueries of the same statement. Written as SQL
    because these three expressions dominate the ORM's compile time on the feed's hot path."""
    if viewer is None or not viewer.is_authenticated:
        return queryset
    return queryset.annotate(
        **{
            name: RawSQL(sql.format(target=_TARGET_SQL), (viewer.id,), output_field=BooleanField())  # noqa: S611 - constant SQL, bound parameter
            for name, sql in _FLAG_SQL.items()
        }
    )


def posts_visible_to(*, viewer, hide_muted: bool = False) -> QuerySet:
    """Every post ``viewer`` may see, joined with what a post needs to render, newest first."""
    queryset = Post.objects.filter(visible_q(viewer))
    if hide_muted and viewer is not None and viewer.is_authenticated:
        queryset = queryset.exclude(_muted_q(viewer.id)).exclude(_muted_q(viewer.id, "repost_of__"))
    return with_viewer_state(queryset.select_related(*POST_RELATED), viewer).order_by("-id")


def post_get_visible(*, post_id, viewer) -> Post:
    """The post if ``viewer`` may see it, else ``NotFound`` (also for malformed ids)."""
    post_id = parse_id(post_id)
    if post_id is None:
        raise NotFound("No such post.", code="not_found")
    post = posts_visible_to(viewer=viewer).filter(pk=post_id).first()
    if post is None:
        raise NotFound("No such post.", code="not_found")
    return post


def post_replies(*, post: Post, viewer) -> QuerySet:
    """Direct replies below ``post``, oldest first (a thread reads top to bottom)."""
    return posts_visible_to(viewer=viewer).filter(reply_to_id=post.pk).order_by("id")


def post_edits(*, post: Post):
    return post.edits.order_by("id")


def user_posts(*, author: User, viewer, include_replies: bool = False) -> QuerySet:
    queryset = posts_visible_to(viewer=viewer).filter(author_id=author.pk)
    if not include_replies:
        queryset = queryset.filter(reply_to__isnull=True)
    return queryset


def bookmarked_posts(*, user) -> QuerySet:
    """The user's bookmarks, most recently bookmarked first (ordered by bookmark id)."""
    return (
        posts_visible_to(viewer=user)
        .filter(pk__in=Bookmark.objects.filter(user_id=user.pk).values("post_id"))
        .annotate(bookmark_id=Bookmark.objects.filter(user_id=user.pk, post_id=OuterRef("pk")).values("id")[:1])
        .order_by("-bookmark_id")
    )


def hashtag_get(*, name: str) -> Hashtag:
    hashtag = None if "\x00" in name else Hashtag.objects.filter(name=normalize_hashtag(name)).first()
    if hashtag is None:
        raise NotFound("No posts with this hashtag.", code="not_found")
    return hashtag


def hashtag_posts(*, hashtag: Hashtag, viewer) -> QuerySet:
    """Public posts with the tag (unlisted posts stay out of hashtags, as on Mastodon)."""
    return posts_visible_to(viewer=viewer, hide_muted=True).filter(
        post_hashtags__hashtag=hashtag, visibility=Visibility.PUBLIC
    )


# --- the home feed's fast path --------------------------------------------------------------------


@dataclass(frozen=True)
class ViewerGraph:
    """What the viewer's feed filter needs besides the posts, fetched in ONE small query: the
    followed big accounts (merged in at read time), blocks either way, and mutes. Whether the
    viewer follows a page's authors comes with the hydration query (``feeds.hydrate``)."""

    big_followees: frozenset[int]
    blocked: frozenset[int]
    muted: frozenset[int]


def big_account_ids() -> list[int]:
    """Accounts with at least FEED_CELEBRITY_FOLLOWERS followers (cached for a minute): their
    posts are merged into feeds at read time instead of being fanned out."""
    from django.conf import settings

    from socialflow.cache import fallback_cache as cache

    key = f"posts:big-accounts:{settings.FEED_CELEBRITY_FOLLOWERS}"
    ids = cache.get(key)
    if ids is None:
        ids = list(
            User.objects.filter(
                followers_count__gte=settings.FEED_CELEBRITY_FOLLOWERS, deleted_at__isnull=True
            ).values_list("pk", flat=True)[:10_000]
        )
        cache.set(key, ids, 60)
    return ids


def _can_see_one(post: Post, viewer_id: int, graph: ViewerGraph, hide_muted: bool, follows_author: bool) -> bool:
    author = post.author
    if post.deleted_at is not None or access.is_moderation_hidden(post) or author.deleted_at is not None:
        return False
    if post.author_id == viewer_id:
        return True
    if post.author_id in graph.blocked or (hide_muted and post.author_id in graph.muted):
        return False
    if post.visibility == Visibility.DIRECT:
        return any(m.get("id") == str(viewer_id) for m in post.entities.get("mentions", []))
    if post.visibility in OPEN_VISIBILITIES and not author.is_private:
        return True
    return post.visibility in FOLLOWER_VISIBILITIES and follows_author


def can_see(post: Post, *, viewer_id: int, graph: ViewerGraph, hide_muted: bool = True) -> bool:
    """The same rule as ``visible_q``, evaluated in Python on a post from ``feeds.hydrate``
    (which carries ``viewer_follows_author``/``viewer_follows_original_author``); no query."""
    if not _can_see_one(post, viewer_id, graph, hide_muted, getattr(post, "viewer_follows_author", False)):
        return False
    return post.repost_of_id is None or _can_see_one(
        post.repost_of, viewer_id, graph, hide_muted, getattr(post, "viewer_follows_original_author", False)
    )


# --- for other apps' event handlers ---------------------------------------------------------------


def post_for_event(*, post_id: int) -> Post | None:
    """A post an event named, with its author and the authors of what it replies to and quotes;
    None once deleted (a handler may run after the post is gone). Not a visibility check."""
    return (
        Post.objects.select_related("author", "reply_to__author", "quote_of__author")
        .filter(pk=post_id, deleted_at__isnull=True)
        .first()
    )

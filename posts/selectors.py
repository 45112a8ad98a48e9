"""Reads for posts and the social graph.

``posts_visible_to(viewer=…)`` is the one definition of "who may see which post": deleted,
hidden and deleted-author posts never; followers-only posts and private accounts' posts to
approved followers; direct posts to the people mentioned; never across a block (either way).
Reposts are visible only while the reposted post is. Every list builds on it.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import NotFound, PermissionDenied

from accounts.models import User
from posts.models import Block, Bookmark, Follow, FollowRequest, Hashtag, Mention, Mute, Post, Visibility

OPEN_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)
FOLLOWER_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS)
# Replied-to usernames come from ``Post.entities`` so a page needs no join for them.
POST_RELATED = ("author", "quote_of__author", "repost_of__author", "repost_of__quote_of__author")


@dataclass(frozen=True)
class Relationship:
    is_following: bool = False
    is_followed_by: bool = False
    follow_requested: bool = False
    is_blocked: bool = False
    is_blocking_you: bool = False
    is_muted: bool = False


def user_relationship(*, viewer, target) -> Relationship:
    """How ``viewer`` relates to ``target`` (anonymous or self: all false). Four queries at most."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == target.pk:
        return Relationship()
    follows = set(
        Follow.objects.filter(Q(follower=viewer, followee=target) | Q(follower=target, followee=viewer)).values_list(
            "follower_id", flat=True
        )
    )
    blocks = set(
        Block.objects.filter(Q(blocker=viewer, blocked=target) | Q(blocker=target, blocked=viewer)).values_list(
            "blocker_id", flat=True
        )
    )
    return Relationship(
        is_following=viewer.pk in follows,
        is_followed_by=target.pk in follows,
        follow_requested=FollowRequest.objects.filter(requester=viewer, target=target).exists(),
        is_blocked=viewer.pk in blocks,
        is_blocking_you=target.pk in blocks,
        is_muted=Mute.objects.filter(muter=viewer, muted=target).exists(),
    )


def is_blocked_either_way(*, user_a_id: int, user_b_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=user_a_id, blocked_id=user_b_id) | Q(blocker_id=user_b_id, blocked_id=user_a_id)
    ).exists()


def hidden_author_ids_for(*, viewer_id: int) -> set[int]:
    """Authors whose content ``viewer`` must not see: blocked either way, or muted by the viewer.

    One query (a UNION of the three relations).
    """
    rows = (
        Block.objects.filter(blocker_id=viewer_id)
        .values_list("blocked_id", flat=True)
        .union(
            Block.objects.filter(blocked_id=viewer_id).values_list("blocker_id", flat=True),
            Mute.objects.filter(muter_id=viewer_id).values_list("muted_id", flat=True),
        )
    )
    return set(rows)


def follower_ids(*, user_id: int) -> list[int]:
    """Ids of everyone following ``user_id`` (not deleted accounts)."""
    return list(
        Follow.objects.filter(followee_id=user_id, follower__deleted_at__isnull=True).values_list(
            "follower_id", flat=True
        )
    )


def following_ids(*, user_id: int) -> list[int]:
    return list(
        Follow.objects.filter(follower_id=user_id, followee__deleted_at__isnull=True).values_list(
            "followee_id", flat=True
        )
    )


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
    alive = Q(**{f"{p}deleted_at__isnull": True, f"{p}hidden_at__isnull": True, f"{p}author__deleted_at__isnull": True})
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


MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """An id from a URL or body as a positive 64-bit integer, or None (never a database error)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


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


def user_get_active(*, username: str) -> User:
    """A live account by username (case-insensitive, an optional leading ``@`` as in profiles)."""
    # A NUL never names anything, and PostgreSQL refuses it in a query (a 500 instead of a 404).
    user = None
    if "\x00" not in username:
        user = User.objects.filter(username__iexact=username.lstrip("@"), deleted_at__isnull=True).first()
    if user is None:
        raise NotFound("No such user.", code="not_found")
    return user


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
    from posts.lib.entities import normalize_hashtag

    hashtag = None if "\x00" in name else Hashtag.objects.filter(name=normalize_hashtag(name)).first()
    if hashtag is None:
        raise NotFound("No posts with this hashtag.", code="not_found")
    return hashtag


def hashtag_posts(*, hashtag: Hashtag, viewer) -> QuerySet:
    """Public posts with the tag (unlisted posts stay out of hashtags, as on Mastodon)."""
    return posts_visible_to(viewer=viewer, hide_muted=True).filter(
        post_hashtags__hashtag=hashtag, visibility=Visibility.PUBLIC
    )


# --- graph lists ----------------------------------------------------------------------------------


def access_follow_lists(*, owner: User, viewer) -> None:
    """A private account's followers/following are for the owner and approved followers only."""
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    if viewer_id == owner.pk:
        return
    if viewer_id is not None and is_blocked_either_way(user_a_id=viewer_id, user_b_id=owner.pk):
        raise PermissionDenied("You cannot see this account's connections.", code="blocked")
    if owner.is_private and (
        viewer_id is None or not Follow.objects.filter(follower_id=viewer_id, followee_id=owner.pk).exists()
    ):
        raise PermissionDenied("This account is private.", code="private")


def followers_of(*, user: User) -> QuerySet:
    return Follow.objects.filter(followee_id=user.pk, follower__deleted_at__isnull=True).select_related("follower")


def following_of(*, user: User) -> QuerySet:
    return Follow.objects.filter(follower_id=user.pk, followee__deleted_at__isnull=True).select_related("followee")


def follow_requests_for(*, user) -> QuerySet:
    return FollowRequest.objects.filter(target_id=user.pk, requester__deleted_at__isnull=True).select_related(
        "requester"
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
    if post.deleted_at is not None or post.hidden_at is not None or author.deleted_at is not None:
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

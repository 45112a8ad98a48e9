"""Reads for posts (the social graph's reads are ``accounts.selectors``).

Who may see which post is the access layer's (``posts.access`` registers the ``post`` kind):
``posts_visible_to`` narrows through ``access.visible_to("post", viewer)`` and every list builds
on it; the home feed checks hydrated posts with ``access.can_view``. Muted authors leave lists
(``hide_muted``) but stay reachable by link.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import models
from django.db.models import BooleanField, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from accounts import access as graph
from accounts.models import User
from posts.lib.entities import normalize_hashtag
from posts.models import Bookmark, Hashtag, Like, Media, Post, Visibility
from socialflow.core import access
from socialflow.core.exceptions import NotFound
from socialflow.core.ids import parse_id

# Replied-to usernames come from ``Post.entities`` so a page needs no join for them.
POST_RELATED = ("author", "quote_of__author", "repost_of__author", "repost_of__quote_of__author")


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
    queryset = access.visible_to("post", viewer)
    if hide_muted and access.is_authenticated(viewer):
        queryset = queryset.exclude(graph.muted_q(viewer)).exclude(graph.muted_q(viewer, field="repost_of__author_id"))
    return with_viewer_state(queryset.select_related(*POST_RELATED), viewer).order_by("-id")


def post_get_visible(*, post_id, viewer) -> Post:
    """The post if ``viewer`` may see it, else ``NotFound`` (also for malformed ids)."""
    post_id = parse_id(post_id)
    if post_id is None:
        raise NotFound("No such post.", code="not_found")
    # One row by key, then the policy on the loaded post: the list filter (subqueries for the graph,
    # mentions and the reposted post) cost more to build than the two small lookups this needs.
    post = with_viewer_state(Post.objects.select_related(*POST_RELATED), viewer).filter(pk=post_id).first()
    if post is None or not access.can_view(viewer, post, kind="post"):
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


BIG_ACCOUNTS_LOCAL_S = 10


def big_account_ids() -> list[int]:
    """Accounts with at least FEED_CELEBRITY_FOLLOWERS followers (cached for a minute in the
    shared cache, and for BIG_ACCOUNTS_LOCAL_S in the process: every feed page reads this): their
    posts are merged into feeds at read time instead of being fanned out."""
    from django.conf import settings
    from django.core.cache import caches

    from socialflow.cache import fallback_cache as cache

    key = f"posts:big-accounts:{settings.FEED_CELEBRITY_FOLLOWERS}"
    local = caches["local"]
    ids = local.get(key)
    if ids is not None:
        return ids
    ids = cache.get(key)
    if ids is None:
        ids = list(
            User.objects.filter(
                followers_count__gte=settings.FEED_CELEBRITY_FOLLOWERS, deleted_at__isnull=True
            ).values_list("pk", flat=True)[:10_000]
        )
        cache.set(key, ids, 60)
    local.set(key, ids, BIG_ACCOUNTS_LOCAL_S)
    return ids


def can_see(post, *, viewer, graph: ViewerGraph, hide_muted: bool = True) -> bool:
    """The access layer's ``can_view`` on a post from ``feeds.hydrate`` (which carries
    ``viewer_follows_author``/``viewer_follows_original_author``) with the viewer's blocks from
    ``graph``: no query. Muted authors (of the post or the reposted one) leave the feed too."""
    if hide_muted and (
        post.author_id in graph.muted or (post.repost_of_id and post.repost_of.author_id in graph.muted)
    ):
        return False
    return access.can_view(viewer, post, kind="post", blocked_ids=graph.blocked)


# --- for other apps' event handlers ---------------------------------------------------------------


def post_for_event(*, post_id: int) -> Post | None:
    """A post an event named, with its author and the authors of what it replies to and quotes;
    None once deleted (a handler may run after the post is gone). Not a visibility check."""
    return (
        Post.objects.select_related("author", "reply_to__author", "quote_of__author")
        .filter(pk=post_id, deleted_at__isnull=True)
        .first()
    )


def post_image_files(*, post_id: int) -> list[tuple[int, str]]:
    """``(media id, storage name of the original)`` of a post's images, in attachment order (for
    the moderation classifiers, which read the files)."""
    return list(Media.objects.filter(post_id=post_id).order_by("pk").values_list("pk", "file"))


# Implicit feedback for recommendations (analytics trains on it): how much each act says.
INTERACTION_WEIGHTS = {"like": 2.0, "bookmark": 2.0, "repost": 3.0, "reply": 2.0}


def post_interactions(*, since, user_id: int | None = None, limit: int = 200_000) -> list[tuple[int, int, float]]:
    """``(user_id, post_id, weight)`` for likes, bookmarks, reposts and replies since ``since``
    (one user's when ``user_id`` is given), newest first, at most ``limit`` of each kind."""
    mine = {"user_id": user_id} if user_id is not None else {}
    rows: list[tuple[int, int, float]] = []
    for model, kind in ((Like, "like"), (Bookmark, "bookmark")):
        qs = model.objects.filter(created_at__gte=since, **mine).order_by("-id")[:limit]
        rows += [(u, p, INTERACTION_WEIGHTS[kind]) for u, p in qs.values_list("user_id", "post_id")]
    authored = {"author_id": user_id} if user_id is not None else {}
    reposts = Post.objects.filter(repost_of__isnull=False, created_at__gte=since, deleted_at__isnull=True, **authored)
    rows += [
        (u, p, INTERACTION_WEIGHTS["repost"])
        for u, p in reposts.order_by("-id")[:limit].values_list("author_id", "repost_of_id")
    ]
    replies = Post.objects.filter(reply_to__isnull=False, created_at__gte=since, deleted_at__isnull=True, **authored)
    rows += [
        (u, p, INTERACTION_WEIGHTS["reply"])
        for u, p in replies.order_by("-id")[:limit].values_list("author_id", "reply_to_id")
    ]
    return rows


def post_interaction_history(*, user_id: int, since, limit: int = 200) -> dict[int, float]:
    """One user's weighted interactions with posts since ``since`` ({post_id: weight}), in one
    query (a UNION ALL over likes, bookmarks, reposts and replies): what "for you" starts from."""
    weight = models.FloatField()
    parts = [
        Like.objects.filter(user_id=user_id, created_at__gte=since)
        .annotate(w=models.Value(INTERACTION_WEIGHTS["like"], output_field=weight))
        .values_list("post_id", "w"),
        Bookmark.objects.filter(user_id=user_id, created_at__gte=since)
        .annotate(w=models.Value(INTERACTION_WEIGHTS["bookmark"], output_field=weight))
        .values_list("post_id", "w"),
        Post.objects.filter(author_id=user_id, repost_of__isnull=False, created_at__gte=since, deleted_at__isnull=True)
        .annotate(w=models.Value(INTERACTION_WEIGHTS["repost"], output_field=weight))
        .values_list("repost_of_id", "w"),
        Post.objects.filter(author_id=user_id, reply_to__isnull=False, created_at__gte=since, deleted_at__isnull=True)
        .annotate(w=models.Value(INTERACTION_WEIGHTS["reply"], output_field=weight))
        .values_list("reply_to_id", "w"),
    ]
    history: dict[int, float] = defaultdict(float)
    parts = [part.order_by() for part in parts]  # no ORDER BY inside a compound statement
    for post_id, w in parts[0].union(*parts[1:], all=True)[:limit]:
        history[post_id] += w
    return dict(history)

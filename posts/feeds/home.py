"""The home feed: fan-out on write into capped timelines, merged with big accounts at read time.

Write path (``timeline_fanout``, run by a Celery task after the post commits): the post id goes
into the timeline of the author and of every *active* follower (seen within FEED_ACTIVE_DAYS), in
pipelined batches of FEED_FANOUT_BATCH. Replies reach only followers who also follow the replied-to
account (Mastodon's rule); direct posts only the people mentioned. Authors with at least
FEED_CELEBRITY_FOLLOWERS followers are not fanned out: their posts are merged in when read.

Read path (``home_feed_page``): touch the timeline and take ids below the cursor (one round trip;
a cold timeline is rebuilt from the database first: own posts plus each followee's recent posts,
bounded), add the followed big accounts' posts from the same id range, hydrate them (one query, a
second when the page quotes or reposts; ``feeds.hydrate``), apply visibility, blocks and mutes in
Python, and continue from the database when the capped timeline runs out.
Cursors are post ids, so pages never repeat or skip an entry while new posts arrive on top.
While the timeline store (Redis) is unreachable, pages come from the database alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Follow, Mute, User
from posts.feeds.hydrate import hydrate, viewer_graph
from posts.feeds.stores import TimelineStore, get_store
from posts.lib.ids import id_at
from posts.models import Mention, Post, Visibility
from posts.selectors import can_see
from socialflow.core import access
from socialflow.redis import REDIS_DOWN_ERRORS

REBUILD_DAYS = 30
MAX_READ_ROUNDS = 3
HYDRATE_SLACK = 4

logger = logging.getLogger(__name__)


def active_cutoff():
    return timezone.now() - timedelta(days=settings.FEED_ACTIVE_DAYS)


def _active_follower_batches(*, post: Post, batch_size: int):
    """Yield lists of active follower ids of the post's author (keyset-paginated by id)."""
    follows = Follow.objects.filter(
        followee_id=post.author_id,
        follower__last_seen_at__gte=active_cutoff(),
        follower__deleted_at__isnull=True,
    ).exclude(follower_id__in=Mute.objects.filter(muted_id=post.author_id).values("muter_id"))
    if post.reply_to_id is not None and post.reply_to.author_id != post.author_id:
        parent_author = post.reply_to.author_id
        follows = follows.filter(
            Q(follower_id=parent_author)
            | Q(follower_id__in=Follow.objects.filter(followee_id=parent_author).values("follower_id"))
        )
    last = 0
    while True:
        batch = list(
            follows.filter(follower_id__gt=last)
            .order_by("follower_id")
            .values_list("follower_id", flat=True)[:batch_size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def is_celebrity(author: User) -> bool:
    return author.followers_count >= settings.FEED_CELEBRITY_FOLLOWERS


def timeline_fanout(*, post_id: int, store: TimelineStore | None = None) -> int:
    """Push ``post_id`` into every timeline that should hold it; returns how many took it.

    Idempotent: pushing the same id twice leaves the sorted set / table unchanged.
    """
    store = store or get_store()
    post = Post.objects.select_related("author", "reply_to").filter(pk=post_id).first()
    if post is None or post.deleted_at is not None or access.is_moderation_hidden(post) or post.author.is_deleted:
        return 0
    original_id = post.repost_of_id
    delivered = store.push(user_ids=[post.author_id], post_id=post.pk, original_id=original_id)
    if post.visibility == Visibility.DIRECT:
        mentioned = list(
            Mention.objects.filter(post_id=post.pk, user__last_seen_at__gte=active_cutoff()).values_list(
                "user_id", flat=True
            )
        )
        return delivered + store.push(user_ids=mentioned, post_id=post.pk, original_id=original_id)
    if is_celebrity(post.author):
        return delivered  # merged into followers' feeds at read time
    for batch in _active_follower_batches(post=post, batch_size=settings.FEED_FANOUT_BATCH):
        delivered += store.push(user_ids=batch, post_id=post.pk, original_id=original_id)
    return delivered


def _home_authors_q(user_id: int) -> Q:
    """Posts that belong in ``user_id``'s home feed: own, and followees' (replies only to
    accounts the reader also follows, or to themselves)."""
    following = Follow.objects.filter(follower_id=user_id).values("followee_id")
    return (Q(author_id=user_id) | Q(author_id__in=following)) & (
        Q(reply_to__isnull=True)
        | Q(reply_to__author_id=user_id)
        | Q(reply_to__author_id__in=following)
        | Q(reply_to__author_id=F("author_id"))
    )


def timeline_rebuild(*, user_id: int, store: TimelineStore | None = None) -> int:
    """Refill a cold timeline from the database: own posts and each followee's newest
    FEED_REBUILD_PER_AUTHOR posts from the last REBUILD_DAYS, at most the cap. Then mark warm."""
    store = store or get_store()
    rows = (
        Post.objects.filter(
            _home_authors_q(user_id),
            access.moderation_shown_q(),
            pk__gte=id_at(timezone.now() - timedelta(days=REBUILD_DAYS)),
            deleted_at__isnull=True,
        )
        .annotate(rank=Window(RowNumber(), partition_by=[F("author_id")], order_by=F("id").desc()))
        .filter(rank__lte=settings.FEED_REBUILD_PER_AUTHOR)
        .order_by("-id")
        .values_list("id", "repost_of_id")[: store.cap]
    )
    entries = list(rows)
    store.fill(user_id=user_id, entries=entries)
    store.mark_warm(user_id=user_id)
    return len(entries)


def timeline_merge_author(*, user_id: int, author_id: int, store: TimelineStore | None = None) -> None:
    """After a follow (or unmute): bring the author's recent posts into a warm timeline."""
    store = store or get_store()
    entries = list(
        Post.objects.filter(access.moderation_shown_q(), author_id=author_id, deleted_at__isnull=True)
        .filter(Q(reply_to__isnull=True) | Q(reply_to__author_id=author_id))
        .exclude(visibility=Visibility.DIRECT)
        .order_by("-id")
        .values_list("id", "repost_of_id")[: settings.FEED_REBUILD_PER_AUTHOR]
    )
    if entries:
        store.fill(user_id=user_id, entries=entries)


def timeline_unmerge_author(*, user_id: int, author_id: int, store: TimelineStore | None = None) -> None:
    """After an unfollow, block or mute: drop the author's posts from the timeline (reads
    already filter them; this keeps the timeline dense)."""
    store = store or get_store()
    ids = list(Post.objects.filter(author_id=author_id).order_by("-id").values_list("id", flat=True)[: store.cap * 2])
    store.remove(user_ids=[user_id], post_ids=ids)


def timeline_remove_posts(*, post_ids: list[int], store: TimelineStore | None = None) -> None:
    """After a delete or hide: remove the ids from the authors' and their followers' timelines."""
    store = store or get_store()
    for post in Post.objects.filter(pk__in=post_ids).only("pk", "author_id"):
        store.remove(user_ids=[post.author_id], post_ids=[post.pk])
        follows = Follow.objects.filter(followee_id=post.author_id).order_by("follower_id")
        last = 0
        while True:
            batch = list(
                follows.filter(follower_id__gt=last).values_list("follower_id", flat=True)[: settings.FEED_FANOUT_BATCH]
            )
            if not batch:
                break
            store.remove(user_ids=batch, post_ids=[post.pk])
            last = batch[-1]


@dataclass
class FeedPage:
    posts: list[Post]
    next_max_id: int | None
    # Blocked either way or muted (from the viewer graph): rendering hides quotes by them with
    # no query of its own.
    hidden_author_ids: frozenset[int] = frozenset()


def _celebrity_ids(*, author_ids: list[int], max_id: int | None, min_id: int | None, limit: int) -> list[int]:
    queryset = Post.objects.filter(author_id__in=author_ids, deleted_at__isnull=True).filter(
        Q(reply_to__isnull=True) | Q(reply_to__author_id=F("author_id"))
    )
    if max_id is not None:
        queryset = queryset.filter(pk__lt=max_id)
    if min_id is not None:
        queryset = queryset.filter(pk__gte=min_id)
    return list(queryset.order_by("-id").values_list("id", flat=True)[:limit])


def _pull_ids(*, viewer_id: int, max_id: int | None, limit: int) -> list[int]:
    """The database continuation below the oldest timeline entry (capped or evicted history):
    the same selection as a rebuild (own and followees' posts, replies within the circle)."""
    queryset = Post.objects.filter(_home_authors_q(viewer_id), deleted_at__isnull=True)
    if max_id is not None:
        queryset = queryset.filter(pk__lt=max_id)
    return list(queryset.order_by("-id").values_list("id", flat=True)[:limit])


def _dedupe_reposts(posts: list[Post]) -> list[Post]:
    """Show a post once per page even if it arrived both as itself and as reposts."""
    seen: set[int] = set()
    result = []
    for post in posts:
        key = post.repost_of_id or post.pk
        if key in seen:
            continue
        seen.add(key)
        result.append(post)
    return result


def home_feed_page(*, viewer, max_id: int | None = None, limit: int = 20, store: TimelineStore | None = None):
    """One page of the home feed below ``max_id``: newest first, exactly ``limit`` posts unless
    the feed ends (then ``next_max_id`` is None).

    Queries for a page: the viewer's graph (one UNION), the timeline (none with Redis; the state
    row and a page of entries with the database store), the followed big accounts' posts (only if
    there are any), and one hydration query (two when the page holds quotes or reposts); the
    database continuation replaces the big-account query once the timeline runs out. Rendering
    needs none: quotes by hidden authors are found with the graph's ``hidden_author_ids``.
    """
    store = store or get_store()
    from_store = True
    fetch = limit * 2
    first_ids = None  # the first round's page, read with the touch (one Redis round trip)
    try:
        first_ids = store.touch_page(user_id=viewer.pk, max_id=max_id, limit=fetch)
        if first_ids is None:
            timeline_rebuild(user_id=viewer.pk, store=store)
    except REDIS_DOWN_ERRORS as exc:
        # Degraded, not down: the same selection straight from the database (as below the
        # timeline's last entry), until the timeline store answers again.
        logger.warning("home feed of user %s read from the database: timeline store unavailable (%s)", viewer.pk, exc)
        from_store = False
    graph = viewer_graph(viewer_id=viewer.pk)
    celebrities = list(graph.big_followees)
    posts: list[Post] = []
    cursor = max_id
    for _ in range(MAX_READ_ROUNDS):
        ids = None
        if from_store and first_ids is not None:
            ids, first_ids = first_ids, None
        elif from_store:
            try:
                ids = store.page(user_id=viewer.pk, max_id=cursor, limit=fetch)
            except REDIS_DOWN_ERRORS as exc:
                logger.warning("home feed of user %s continues from the database (%s)", viewer.pk, exc)
                from_store = False
        if from_store:
            if len(ids) < fetch:
                # The timeline ran out (capped, or a bounded rebuild): continue from the database
                # below its last entry (that selection includes the big accounts too).
                from_store = False
                below = ids[-1] if ids else cursor
                if celebrities and ids:
                    extra = _celebrity_ids(author_ids=celebrities, max_id=cursor, min_id=below, limit=fetch)
                    ids = sorted(set(ids) | set(extra), reverse=True)
                ids = ids + _pull_ids(viewer_id=viewer.pk, max_id=below, limit=max(fetch - len(ids), limit))
            elif celebrities:
                extra = _celebrity_ids(author_ids=celebrities, max_id=cursor, min_id=ids[-1], limit=fetch)
                ids = sorted(set(ids) | set(extra), reverse=True)
        else:
            ids = _pull_ids(viewer_id=viewer.pk, max_id=cursor, limit=fetch)
        if not ids:
            break
        remaining = ids
        while remaining and len(posts) <= limit:
            # Hydrate only what the page still needs (+ a little slack for filtered entries).
            chunk, remaining = (
                remaining[: limit + 1 - len(posts) + HYDRATE_SLACK],
                remaining[limit + 1 - len(posts) + HYDRATE_SLACK :],
            )
            hydrated = hydrate(ids=chunk, viewer_id=viewer.pk)
            posts.extend(
                hydrated[i] for i in chunk if i in hydrated and can_see(hydrated[i], viewer=viewer, graph=graph)
            )
            posts = _dedupe_reposts(posts)
            cursor = chunk[-1]
        if len(posts) > limit or (not from_store and len(ids) < fetch):
            break
    page = posts[:limit]
    has_more = len(posts) > limit or (len(page) == limit and cursor is not None)
    return FeedPage(
        posts=page,
        next_max_id=page[-1].pk if page and has_more else None,
        hidden_author_ids=graph.blocked | graph.muted,
    )

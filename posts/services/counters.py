"""Repair of denormalised counters (the periodic safety net behind the F() updates)."""

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Follow, User
from posts.models import Like, Post


def _count(queryset, field: str):
    return Coalesce(
        Subquery(queryset.values(field).annotate(n=Count("pk")).values("n")[:1]),
        0,
    )


@transaction.atomic
def counters_recount(*, user_ids: list[int] | None = None, post_min_id: int | None = None) -> int:
    """Recompute posts/followers/following counts of users (all, or ``user_ids``) and the
    like/repost/reply/quote counts of posts (ids ≥ ``post_min_id``, i.e. recent ones, or all) with
    set-based UPDATEs; returns the number of users whose counters were wrong."""
    users = User.objects.all() if user_ids is None else User.objects.filter(pk__in=user_ids)
    live = Post.objects.filter(deleted_at__isnull=True)
    expected = users.annotate(
        n_posts=_count(live.filter(author_id=OuterRef("pk")), "author_id"),
        n_followers=_count(Follow.objects.filter(followee_id=OuterRef("pk")), "followee_id"),
        n_following=_count(Follow.objects.filter(follower_id=OuterRef("pk")), "follower_id"),
    )
    fixed = 0
    for user in expected.only("pk", "posts_count", "followers_count", "following_count").iterator(chunk_size=2000):
        values = {"posts_count": user.n_posts, "followers_count": user.n_followers, "following_count": user.n_following}
        if any(getattr(user, field) != value for field, value in values.items()):
            User.objects.filter(pk=user.pk).update(**values)
            fixed += 1
    posts = Post.objects.all() if post_min_id is None else Post.objects.filter(pk__gte=post_min_id)
    posts.update(
        likes_count=_count(Like.objects.filter(post_id=OuterRef("pk")), "post_id"),
        reposts_count=_count(live.filter(repost_of_id=OuterRef("pk")), "repost_of_id"),
        replies_count=_count(live.filter(reply_to_id=OuterRef("pk")), "reply_to_id"),
        quotes_count=_count(live.filter(quote_of_id=OuterRef("pk")), "quote_of_id"),
    )
    return fixed

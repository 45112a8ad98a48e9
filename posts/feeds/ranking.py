"""Ranked lists: the for-you feed, trending hashtags, trending searches, suggestions, search.

Scores are computed in Python over a bounded candidate set fetched with a couple of queries, so
the same code runs on SQLite and PostgreSQL; the results are cached briefly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Count, F
from django.db.models.functions import TruncHour
from django.utils import timezone

from accounts.models import Follow
from accounts.selectors import user_search
from posts.lib.entities import normalize_hashtag
from posts.lib.ids import id_at, id_to_ms
from posts.lib.search import PostTextVector
from posts.models import Hashtag, Like, Post, PostHashtag, SearchTermBucket, Visibility
from posts.selectors import posts_visible_to
from socialflow.cache import fallback_cache as cache
from socialflow.core import access, recommendations

FOR_YOU_CANDIDATES = 300
FOR_YOU_CACHE_S = 300


def _decay(age_hours: float, half_life_hours: float) -> float:
    return 0.5 ** (max(age_hours, 0.0) / half_life_hours)


def for_you_ids(*, viewer) -> list[int]:
    """Ranked post ids for ``viewer`` (cached for a few minutes so pages stay consistent).

    Candidates: posts the recommendation model finds for the viewer (2–3, any age: the model's
    window), recent original posts by accounts the viewer follows (1.5), posts those accounts
    liked (1.2) and the most engaged public posts of the window (1.0, the popularity fallback). Score = weight ×
    (1 + likes + 2·reposts + replies + quotes) / (age_h + 2)^1.5 (Hacker-News-style gravity).
    Blocked and muted authors, the viewer's own posts and what they can't see are excluded.
    """
    cache_key = f"posts:for-you:{viewer.pk}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    since = id_at(timezone.now() - timedelta(hours=settings.FOR_YOU_WINDOW_HOURS))
    following = Follow.objects.filter(follower_id=viewer.pk).values("followee_id")
    weights: dict[int, float] = defaultdict(float)
    for pk in (
        Post.objects.filter(author_id__in=following, pk__gte=since, repost_of__isnull=True)
        .order_by("-id")[:FOR_YOU_CANDIDATES]
        .values_list("pk", flat=True)
    ):
        weights[pk] = max(weights[pk], 1.5)
    liked = Like.objects.filter(
        user_id__in=following, post_id__gte=since, created_at__gte=timezone.now() - timedelta(days=3)
    ).order_by("-id")[:FOR_YOU_CANDIDATES]
    for pk in liked.values_list("post_id", flat=True):
        weights[pk] = max(weights[pk], 1.2)
    popular = (
        Post.objects.filter(pk__gte=since, visibility=Visibility.PUBLIC, repost_of__isnull=True)
        .annotate(engagement=F("likes_count") + 2 * F("reposts_count") + F("replies_count") + F("quotes_count"))
        .order_by("-engagement")[:FOR_YOU_CANDIDATES]
    )
    for pk in popular.values_list("pk", flat=True):
        weights[pk] = max(weights[pk], 1.0)
    # The recommendation model (item-item over likes, bookmarks, reposts and replies): posts liked
    # by the people who liked what the viewer liked, weighted 2–3 by similarity.
    modelled = recommendations.for_user(kind="post", user_id=viewer.pk, limit=FOR_YOU_CANDIDATES)
    if modelled:
        top = modelled[0][1] or 1.0
        for pk, score in modelled:
            weights[pk] = max(weights[pk], 2.0 + score / top)
    now_ms = timezone.now().timestamp() * 1000
    candidates = (
        posts_visible_to(viewer=viewer, hide_muted=True)
        .filter(pk__in=list(weights), repost_of__isnull=True)
        .exclude(author_id=viewer.pk)
        .values_list("pk", "likes_count", "reposts_count", "replies_count", "quotes_count")
    )
    scored = []
    for pk, likes, reposts, replies, quotes in candidates:
        age_h = (now_ms - id_to_ms(pk)) / 3_600_000
        score = weights[pk] * (1 + likes + 2 * reposts + replies + quotes) / math.pow(max(age_h, 0) + 2, 1.5)
        scored.append((score, pk))
    ranked = [pk for _, pk in sorted(scored, reverse=True)]
    cache.set(cache_key, ranked, FOR_YOU_CACHE_S)
    return ranked


def trending_hashtags(*, limit: int = 10) -> list[dict]:
    """Hashtags by time-decayed use in public posts over TRENDING_WINDOW_HOURS: each hour's
    count weighs 0.5^(age / TRENDING_HALF_LIFE_HOURS). Cached for a minute."""
    cache_key = f"posts:trending-hashtags:{limit}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    now = timezone.now()
    rows = (
        PostHashtag.objects.filter(
            access.visible_q("post", None, prefix="post__"),  # what anyone may see, and public
            created_at__gte=now - timedelta(hours=settings.TRENDING_WINDOW_HOURS),
            post__visibility=Visibility.PUBLIC,
        )
        .annotate(hour=TruncHour("created_at"))
        .values("hashtag_id", "hour")
        .annotate(uses=Count("id"), authors=Count("post__author_id", distinct=True))
    )
    scores: dict[int, float] = defaultdict(float)
    uses: dict[int, int] = defaultdict(int)
    for row in rows:
        age_h = (now - row["hour"]).total_seconds() / 3600
        # Distinct authors weigh more than one account repeating a tag.
        scores[row["hashtag_id"]] += (row["authors"] + 0.25 * (row["uses"] - row["authors"])) * _decay(
            age_h, settings.TRENDING_HALF_LIFE_HOURS
        )
        uses[row["hashtag_id"]] += row["uses"]
    top = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    names = dict(Hashtag.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "name"))
    result = [{"name": names[pk], "score": round(score, 3), "uses": uses[pk]} for pk, score in top if pk in names]
    cache.set(cache_key, result, 60)
    return result


def trending_searches(*, limit: int = 10) -> list[dict]:
    """Search terms by time-decayed counts over the trending window (hourly buckets)."""
    now = timezone.now()
    rows = SearchTermBucket.objects.filter(hour__gte=now - timedelta(hours=settings.TRENDING_WINDOW_HOURS)).values_list(
        "term", "hour", "count"
    )
    scores: dict[str, float] = defaultdict(float)
    for term, hour, count in rows:
        age_h = (now - hour).total_seconds() / 3600
        scores[term] += count * _decay(age_h, settings.TRENDING_HALF_LIFE_HOURS)
    top = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"term": term, "score": round(score, 3)} for term, score in top]


def hashtag_suggestions(*, prefix: str, limit: int = 5) -> list[Hashtag]:
    prefix = normalize_hashtag(prefix)
    if not prefix:
        return []
    return list(
        Hashtag.objects.filter(name__startswith=prefix, posts_count__gt=0).order_by("-posts_count", "name")[:limit]
    )


def user_suggestions(*, prefix: str, viewer, limit: int = 5):
    """Accounts matching as you type (``accounts.selectors.user_search``: exact, prefix, then
    substring matches; deleted, banned, blocked and muted accounts left out)."""
    prefix = prefix.strip().lstrip("@")
    if not prefix:
        return []
    return list(user_search(query=prefix, viewer=viewer, limit=limit))


def post_search(*, query: str, viewer):
    """Public posts matching ``query``: PostgreSQL full-text search ranked by ts_rank (with the
    GIN expression index of migration 0003), a case-insensitive substring match on SQLite."""
    from django.db import connection

    queryset = posts_visible_to(viewer=viewer, hide_muted=True).filter(
        visibility=Visibility.PUBLIC, repost_of__isnull=True
    )
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, config="english", search_type="websearch")
        return (
            queryset.annotate(document=PostTextVector("text"))
            .filter(document=search_query)
            .annotate(rank=SearchRank(PostTextVector("text"), search_query))
            .order_by("-rank", "-id")
        )
    terms = query.split()
    for term in terms[:8]:
        queryset = queryset.filter(text__icontains=term)
    return queryset.order_by("-id")

"""Home and for-you feeds, hashtags, search, suggestions and trends."""

import hashlib

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import UserBriefSerializer, user_brief
from posts import selectors, services
from posts.api.serializers import HashtagTrendSerializer, PostSerializer, SearchTrendSerializer, serialize_posts
from posts.api.views import PostListView
from posts.feeds import ranking
from posts.feeds.home import home_feed_page
from posts.services.search import normalize_term
from socialflow.api.pagination import (
    CURSOR_PARAMS,
    CursorPagination,
    PageNumberPagination,
    WholeListPagination,
    cursor_from,
    list_response,
    page_size_from,
)
from socialflow.cache import fallback_cache as cache
from videos.api.serializers import VideoSerializer
from videos.selectors import video_search

SEARCH_TYPES = ("posts", "users", "videos")


# Not a queryset (a merged timeline keyed by ``max_id``): it reads its own integer cursor.
class HomeFeedView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends = ()
    serializer_class = PostSerializer
    pagination_class = CursorPagination

    @extend_schema(responses=PostSerializer(many=True), parameters=CURSOR_PARAMS, operation_id="feed_home")
    def get(self, request, *args, **kwargs):
        page = home_feed_page(viewer=request.user, max_id=cursor_from(request), limit=page_size_from(request))
        # PostSerializer's rendering, given the hidden authors the feed already holds (no query).
        results = serialize_posts(page.posts, viewer=request.user, hidden_author_ids=page.hidden_author_ids)
        return list_response(request, results, page.next_max_id)


# Not a queryset (a ranked window): its cursor is an offset into the ranking.
class ForYouFeedView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends = ()
    serializer_class = PostSerializer
    pagination_class = CursorPagination

    @extend_schema(responses=PostSerializer(many=True), parameters=CURSOR_PARAMS, operation_id="feed_for_you")
    def get(self, request, *args, **kwargs):
        ranked = ranking.for_you_ids(viewer=request.user)
        offset = cursor_from(request) or 0
        size = page_size_from(request)
        window = ranked[offset : offset + size]
        posts = {
            p.pk: p for p in selectors.posts_visible_to(viewer=request.user, hide_muted=True).filter(pk__in=window)
        }
        results = self.get_serializer([posts[pk] for pk in window if pk in posts], many=True).data
        next_offset = offset + size if offset + size < len(ranked) else None
        return list_response(request, results, next_offset)


class TrendingHashtagsView(generics.ListAPIView):
    permission_classes = [AllowAny]
    filter_backends = ()
    serializer_class = HashtagTrendSerializer
    pagination_class = WholeListPagination

    def get_queryset(self):
        return ranking.trending_hashtags(limit=_limit(self.request))

    @extend_schema(
        responses=HashtagTrendSerializer(many=True),
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1–50, default 10.")],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class HashtagPostsView(PostListView):
    permission_classes = [AllowAny]

    def get_queryset(self):
        hashtag = selectors.hashtag_get(name=self.kwargs["tag"])
        return selectors.hashtag_posts(hashtag=hashtag, viewer=self.request.user)

    @extend_schema(responses=PostSerializer(many=True), parameters=CURSOR_PARAMS)
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


def _limit(request, default=10, maximum=50) -> int:
    raw = request.query_params.get("limit", "")
    if raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValidationError({"limit": [f"Must be an integer between 1 and {maximum}."]})
    return int(raw)


def _query(request, *, min_length=1) -> str:
    query = request.query_params.get("q", "").strip()
    if len(query) < min_length:
        raise ValidationError({"q": ["Give a search query."]})
    if len(query) > 200:
        raise ValidationError({"q": ["At most 200 characters."]})
    if "\x00" in query:
        raise ValidationError({"q": ["Invalid character."]})
    return query


class SearchPagination(PageNumberPagination):
    page_size = 20


# Posts, users or videos by ``type``: one paginator, each kind rendered in its own shape.
class SearchView(generics.ListAPIView):
    permission_classes = [AllowAny]
    filter_backends = ()
    pagination_class = SearchPagination

    def get_queryset(self):
        query, kind, viewer = self._params()
        if kind == "posts":
            return ranking.post_search(query=query, viewer=viewer)
        if kind == "users":
            return ranking.user_suggestions(prefix=query, viewer=viewer, limit=100)
        return video_search(query=query, viewer=viewer)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True),
            OpenApiParameter("type", OpenApiTypes.STR, enum=SEARCH_TYPES, description="Default: posts."),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        query, kind, viewer = self._params()
        if request.query_params.get("page") in (None, "", "1"):
            self._record(request, query)
        page = self.paginate_queryset(self.get_queryset())
        if kind == "posts":
            results = serialize_posts(page, viewer=viewer)
        elif kind == "users":
            results = [user_brief(u) for u in page]
        else:
            results = VideoSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(results)

    def _params(self):
        """The query, the kind and the viewer (None when anonymous); a bad query or kind is a 400."""
        query = _query(self.request)
        kind = self.request.query_params.get("type", "posts")
        if kind not in SEARCH_TYPES:
            raise ValidationError({"type": [f"One of {', '.join(SEARCH_TYPES)}."]})
        return query, kind, self.request.user if self.request.user.is_authenticated else None

    def _record(self, request, query: str) -> None:
        # Count a term once per searcher per hour so one client cannot push a trend alone.
        who = request.user.pk if request.user.is_authenticated else request.META.get("REMOTE_ADDR", "")
        digest = hashlib.sha1(f"{who}:{normalize_term(query)}".encode(), usedforsecurity=False).hexdigest()
        if cache.add(f"posts:searched:{digest}", 1, timeout=3600):
            services.search_record(term=query)


class SearchSuggestView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, required=True)],
        responses=inline_serializer(
            "SearchSuggestions",
            {"users": UserBriefSerializer(many=True), "hashtags": serializers.ListField(child=serializers.DictField())},
        ),
    )
    def get(self, request):
        query = _query(request)
        viewer = request.user if request.user.is_authenticated else None
        users = [] if query.startswith("#") else ranking.user_suggestions(prefix=query, viewer=viewer, limit=5)
        hashtags = [] if query.startswith("@") else ranking.hashtag_suggestions(prefix=query, limit=5)
        return Response(
            {
                "users": [user_brief(u) for u in users],
                "hashtags": [{"name": h.name, "posts_count": h.posts_count} for h in hashtags],
            }
        )


class SearchTrendingView(generics.ListAPIView):
    permission_classes = [AllowAny]
    filter_backends = ()
    serializer_class = SearchTrendSerializer
    pagination_class = WholeListPagination

    def get_queryset(self):
        return ranking.trending_searches(limit=_limit(self.request))

    @extend_schema(responses=SearchTrendSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

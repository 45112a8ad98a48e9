"""Thin generic views: ``get_queryset``/``get_object`` ask a selector, creates call a service, lists
page with their ``pagination_class``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from posts import selectors, services
from posts.api.serializers import (
    MediaSerializer,
    MediaUploadSerializer,
    PostCreateSerializer,
    PostEditSerializer,
    PostSerializer,
    PostUpdateSerializer,
)
from posts.services.media import media_snapshot
from socialflow.api.idempotency import idempotent
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination, WholeListPagination
from socialflow.core import access


class ThreadPagination(CursorPagination):
    ordering = ("id",)  # a thread reads oldest first


class BookmarkPagination(CursorPagination):
    ordering = ("-bookmark_id",)  # most recently bookmarked first


# A cursor-paged list of posts, newest first; subclasses name the selector in ``get_queryset``.
class PostListView(generics.ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    filter_backends = ()  # the selectors read the query parameters (no django-filter sets)
    serializer_class = PostSerializer
    pagination_class = CursorPagination


# ``get_object``: the post of the path as the requester may see it (404 otherwise). Comments, not
# docstrings, on views: drf-spectacular would publish a docstring as the operation's description.
class VisiblePostMixin:
    def get_object(self):
        return selectors.post_get_visible(post_id=self.kwargs["post_id"], viewer=self.request.user)


class PostCreateView(generics.CreateAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PostCreateSerializer

    @extend_schema(request=PostCreateSerializer, responses={201: PostSerializer}, operation_id="posts_create")
    @idempotent
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        # Not CreateModelMixin.create: the body is the post as shown, with no Location header.
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = self.perform_create(data)
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        values = serializer.validated_data
        post = services.post_create(
            author=self.request.user,
            text=values["text"],
            reply_to_id=values["reply_to"],
            quote_of_id=values["quote_of"],
            media_ids=values["media_ids"],
            video_id=values["video_id"],
            visibility=values["visibility"],
        )
        return selectors.post_get_visible(post_id=post.pk, viewer=self.request.user)


class PostDetailView(VisiblePostMixin, mixins.RetrieveModelMixin, generics.GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = PostSerializer

    def _own_post(self):
        post = self.get_object()
        if not access.can_act(self.request.user, "edit", post, kind="post"):
            raise PermissionDenied("Only the author can change this post.", code="not_author")
        return post

    @extend_schema(responses=PostSerializer, operation_id="posts_retrieve")
    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)

    @extend_schema(request=PostUpdateSerializer, responses=PostSerializer, operation_id="posts_update")
    def patch(self, request, *args, **kwargs):
        post = self._own_post()
        data = PostUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_update(post=post, text=data.validated_data["text"])
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={204: None}, operation_id="posts_destroy")
    def delete(self, request, *args, **kwargs):
        services.post_delete(post=self._own_post())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostRepliesView(VisiblePostMixin, PostListView):
    pagination_class = ThreadPagination

    def get_queryset(self):
        post = self.get_object()
        target = post.repost_of if post.repost_of_id else post
        return selectors.post_replies(post=target, viewer=self.request.user)

    @extend_schema(responses=PostSerializer(many=True), parameters=CURSOR_PARAMS)
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class PostEditsView(VisiblePostMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    filter_backends = ()
    serializer_class = PostEditSerializer
    pagination_class = WholeListPagination

    def get_queryset(self):
        return selectors.post_edits(post=self.get_object())  # the paginator keeps the first 100

    @extend_schema(responses=PostEditSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


def _toggle_view(create, delete, result_field: str, count_field: str | None, name: str):
    """POST/DELETE endpoints that set or clear one viewer-post relation, idempotently."""

    # An APIView: no serializer of its own (OPTIONS describes no fields).
    class ToggleView(VisiblePostMixin, APIView):
        permission_classes = [IsAuthenticated]

        def _respond(self):
            post = self.get_object()  # again: the flags and counts after the change
            shown = post.repost_of if post.repost_of_id else post
            body = {result_field: getattr(post, f"viewer_{result_field}")}
            if count_field:
                body[count_field] = getattr(shown, count_field)
            return Response(body, status=status.HTTP_200_OK)

        @extend_schema(request=None, responses=OpenApiTypes.OBJECT, operation_id=f"posts_{name}_create")
        def post(self, request, *args, **kwargs):
            create(user=request.user, post=self.get_object())
            return self._respond()

        @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, operation_id=f"posts_{name}_destroy")
        def delete(self, request, *args, **kwargs):
            delete(user=request.user, post=self.get_object())
            return self._respond()

    ToggleView.__name__ = f"Post{name.title()}View"
    return ToggleView


PostLikeView = _toggle_view(services.like_create, services.like_delete, "liked", "likes_count", "like")
PostRepostView = _toggle_view(services.repost_create, services.repost_delete, "reposted", "reposts_count", "repost")
PostBookmarkView = _toggle_view(services.bookmark_create, services.bookmark_delete, "bookmarked", None, "bookmark")


class UserPostsView(PostListView):
    def get_queryset(self):
        author = accounts_selectors.user_get_by_username(username=self.kwargs["username"])
        include_replies = self.request.query_params.get("replies", "").lower() in ("1", "true", "yes")
        return selectors.user_posts(author=author, viewer=self.request.user, include_replies=include_replies)

    @extend_schema(
        responses=PostSerializer(many=True),
        parameters=[*CURSOR_PARAMS, OpenApiParameter("replies", OpenApiTypes.BOOL, description="Include replies.")],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class BookmarksView(PostListView):
    permission_classes = [IsAuthenticated]
    pagination_class = BookmarkPagination

    def get_queryset(self):
        return selectors.bookmarked_posts(user=self.request.user)

    @extend_schema(responses=PostSerializer(many=True), parameters=CURSOR_PARAMS)
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class MediaUploadView(generics.CreateAPIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = MediaUploadSerializer

    @extend_schema(request=MediaUploadSerializer, responses={201: MediaSerializer})
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        if not data.is_valid():
            if "file" in data.errors and request.FILES.get("file") is None:
                raise ValidationError({"file": ["Attach an image in the 'file' field."]})
            raise ValidationError(data.errors)
        media = self.perform_create(data)
        return Response(media_snapshot(media=media), status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        values = serializer.validated_data
        return services.media_create(owner=self.request.user, upload=values["file"], alt_text=values["alt_text"])

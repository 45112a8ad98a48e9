"""Thin API views: validate input, call one service or selector, serialize output."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
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
    serialize_post,
    serialize_posts,
)
from posts.services.media import media_snapshot
from socialflow.api.idempotency import idempotent
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination, WholeListPagination, list_response


def post_list_response(request, posts, next_cursor):
    return list_response(request, serialize_posts(posts, viewer=request.user), next_cursor)


def paginated_posts(request, queryset, *, ordering=("-id",)):
    paginator = CursorPagination(ordering=ordering)
    posts = paginator.paginate_queryset(queryset, request)
    return post_list_response(request, posts, paginator.next_cursor)


class PostCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PostCreateSerializer, responses={201: PostSerializer}, operation_id="posts_create")
    @idempotent
    def post(self, request):
        data = PostCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        post = services.post_create(
            author=request.user,
            text=values["text"],
            reply_to_id=values["reply_to"],
            quote_of_id=values["quote_of"],
            media_ids=values["media_ids"],
            video_id=values["video_id"],
            visibility=values["visibility"],
        )
        post = selectors.post_get_visible(post_id=post.pk, viewer=request.user)
        return Response(serialize_post(post), status=status.HTTP_201_CREATED)


class PostDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    def _own_post(self, request, post_id):
        post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
        if post.author_id != request.user.pk:
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Only the author can change this post.", code="not_author")
        return post

    @extend_schema(responses=PostSerializer, operation_id="posts_retrieve")
    def get(self, request, post_id):
        return Response(
            serialize_posts([selectors.post_get_visible(post_id=post_id, viewer=request.user)], viewer=request.user)[0]
        )

    @extend_schema(request=PostUpdateSerializer, responses=PostSerializer, operation_id="posts_update")
    def patch(self, request, post_id):
        post = self._own_post(request, post_id)
        data = PostUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_update(post=post, text=data.validated_data["text"])
        return Response(
            serialize_posts([selectors.post_get_visible(post_id=post.pk, viewer=request.user)], viewer=request.user)[0]
        )

    @extend_schema(responses={204: None}, operation_id="posts_destroy")
    def delete(self, request, post_id):
        services.post_delete(post=self._own_post(request, post_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostRepliesView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = CursorPagination

    @extend_schema(responses=PostSerializer(many=True), parameters=CURSOR_PARAMS)
    def get(self, request, post_id):
        post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
        target = post.repost_of if post.repost_of_id else post
        return paginated_posts(request, selectors.post_replies(post=target, viewer=request.user), ordering=("id",))


class PostEditsView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = WholeListPagination

    @extend_schema(responses=PostEditSerializer(many=True))
    def get(self, request, post_id):
        post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
        edits = list(selectors.post_edits(post=post)[:100])
        return list_response(request, PostEditSerializer(edits, many=True).data, None)


def _toggle_view(create, delete, result_field: str, count_field: str | None, name: str):
    """POST/DELETE endpoints that set or clear one viewer-post relation, idempotently."""

    class ToggleView(APIView):
        permission_classes = [IsAuthenticated]

        def _respond(self, request, post_id, code):
            post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
            shown = post.repost_of if post.repost_of_id else post
            body = {result_field: getattr(post, f"viewer_{result_field}")}
            if count_field:
                body[count_field] = getattr(shown, count_field)
            return Response(body, status=code)

        @extend_schema(request=None, responses=OpenApiTypes.OBJECT, operation_id=f"posts_{name}_create")
        def post(self, request, post_id):
            post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
            create(user=request.user, post=post)
            return self._respond(request, post_id, status.HTTP_200_OK)

        @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, operation_id=f"posts_{name}_destroy")
        def delete(self, request, post_id):
            post = selectors.post_get_visible(post_id=post_id, viewer=request.user)
            delete(user=request.user, post=post)
            return self._respond(request, post_id, status.HTTP_200_OK)

    ToggleView.__name__ = f"Post{name.title()}View"
    return ToggleView


PostLikeView = _toggle_view(services.like_create, services.like_delete, "liked", "likes_count", "like")
PostRepostView = _toggle_view(services.repost_create, services.repost_delete, "reposted", "reposts_count", "repost")
PostBookmarkView = _toggle_view(services.bookmark_create, services.bookmark_delete, "bookmarked", None, "bookmark")


class UserPostsView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = CursorPagination

    @extend_schema(
        responses=PostSerializer(many=True),
        parameters=[*CURSOR_PARAMS, OpenApiParameter("replies", OpenApiTypes.BOOL, description="Include replies.")],
    )
    def get(self, request, username):
        author = accounts_selectors.user_get_by_username(username=username)
        include_replies = request.query_params.get("replies", "").lower() in ("1", "true", "yes")
        queryset = selectors.user_posts(author=author, viewer=request.user, include_replies=include_replies)
        return paginated_posts(request, queryset)


class BookmarksView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination

    @extend_schema(responses=PostSerializer(many=True), parameters=CURSOR_PARAMS)
    def get(self, request):
        return paginated_posts(request, selectors.bookmarked_posts(user=request.user), ordering=("-bookmark_id",))


class MediaUploadView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=MediaUploadSerializer, responses={201: MediaSerializer})
    def post(self, request):
        data = MediaUploadSerializer(data=request.data)
        if not data.is_valid():
            if "file" in data.errors and request.FILES.get("file") is None:
                raise ValidationError({"file": ["Attach an image in the 'file' field."]})
            raise ValidationError(data.errors)
        media = services.media_create(
            owner=request.user, upload=data.validated_data["file"], alt_text=data.validated_data["alt_text"]
        )
        return Response(media_snapshot(media=media), status=status.HTTP_201_CREATED)

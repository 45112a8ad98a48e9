"""Thin viewsets: validate input, call one service, serialize output."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from socialflow.api import anonymous_cache
from socialflow.api.idempotency import idempotent
from socialflow.api.pagination import CursorPagination
from socialflow.api.parsers import JSONParser
from socialflow.core import access, territory
from socialflow.core.exceptions import TooLarge
from videos import selectors, services
from videos.api import representations
from videos.api import serializers as s
from videos.models import Comment, VideoReaction


class CommentPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class ReplyPagination(CursorPagination):
    ordering = ("created_at", "id")


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class VideoViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.VideoSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    lookup_value_regex = r"[^/]+"

    def dispatch(self, request, *args, **kwargs):
        """Anonymous reads of a public video and of the list's pages are answered from their
        rendered bytes when the cache holds them (``socialflow.api.anonymous_cache``), and filed
        there when it does not."""
        slot = self._anonymous_slot(request, kwargs)
        if slot is None:
            return super().dispatch(request, *args, **kwargs)
        found = anonymous_cache.lookup(request, slot)
        if found.response is not None:
            return self._finalize_cached(found.response)
        # A page may be kept until the next scheduled video goes out, read before the page is: one
        # that goes out while the page is built is then past already, and the page is not filed.
        due = representations.video_list_due() if found.token and slot.kind == representations.LIST_KIND else None
        response = super().dispatch(request, *args, **kwargs)
        ttl_s = None if due is None else representations.seconds_until(due)
        anonymous_cache.store(found, response, ttl_s=ttl_s)
        return response

    def _anonymous_slot(self, request, kwargs) -> anonymous_cache.Slot | None:
        action = self.action_map.get(request.method.lower())  # DRF sets ``self.action`` later
        if action not in ("list", "retrieve") or not anonymous_cache.eligible(request, self):
            return None
        location = request.build_absolute_uri(request.path)  # the base of the list's links
        if action == "retrieve":
            return None if request.GET else representations.anonymous_detail_slot(pk=kwargs["pk"], location=location)
        if set(request.GET) - {"page"} or len(request.GET.getlist("page")) > 1:
            return None
        return representations.anonymous_list_slot(
            page=request.GET.get("page", "1"), location=location, country=territory.viewer_country()
        )

    def _finalize_cached(self, response):
        """DRF's headers for this view, as ``finalize_response`` sets them."""
        for name, value in self.default_response_headers.items():
            response[name] = value
        return response

    def get_queryset(self):
        params = self.request.query_params
        return selectors.video_list(
            viewer=self.request.user,
            author=params.get("author"),
            tag=params.get("tag"),
            q=params.get("q"),
            ordering=params.get("ordering"),
        )

    def _visible(self, pk):
        return selectors.video_get_visible(video_id=pk, viewer=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("author", str),
            OpenApiParameter("tag", str),
            OpenApiParameter("q", str),
            OpenApiParameter("ordering", str, enum=list(selectors.ORDERINGS)),
        ]
    )
    def list(self, request):
        queryset = self.get_queryset()
        if request.query_params.get("q"):  # search: ranked and distinct, hydrated as it is paged
            page = self.paginate_queryset(queryset)
            return self.get_paginated_response(s.VideoSerializer(page, many=True).data)
        # The page's ids (and the count) by one query, their representations from the hydration cache.
        ids = self.paginator.paginate_ids(queryset, request, view=self)
        page, shared = representations.video_page(video_ids=ids)
        response = self.get_paginated_response(page)
        setattr(response, anonymous_cache.SHAREABLE_ATTR, shared)
        return response

    @extend_schema(responses=s.VideoDetailSerializer)
    def retrieve(self, request, pk=None):
        data, shared = representations.video_detail(video_id=pk, viewer=request.user)
        response = Response(data)
        setattr(response, anonymous_cache.SHAREABLE_ATTR, shared)
        return response

    @extend_schema(request=s.VideoCreateSerializer, responses={201: s.VideoSerializer})
    @idempotent
    def create(self, request):
        """Single-request multipart upload for small files; big ones should use tus (/uploads)."""
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > settings.VIDEO_MAX_UPLOAD_BYTES + 1024 * 1024:
            raise TooLarge(f"The upload limit is {settings.VIDEO_MAX_UPLOAD_BYTES} bytes.")
        data = s.VideoCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        video = services.video_create_from_uploaded_file(
            author=request.user,
            uploaded_file=v["file"],
            title=v["title"],
            description=v.get("description", ""),
            visibility=v.get("visibility", "public"),
            tags=v.get("tags"),
            published_at=v.get("published_at"),
        )
        return Response(s.VideoSerializer(video).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.VideoUpdateSerializer, responses=s.VideoSerializer)
    def partial_update(self, request, pk=None):
        video = selectors.video_get_owned(video_id=pk, user=request.user)
        data = s.VideoUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        video = services.video_update(video=video, **data.validated_data)
        return Response(s.VideoSerializer(video).data)

    def destroy(self, request, pk=None):
        video = selectors.video_get_owned(video_id=pk, user=request.user)
        services.video_delete(video=video)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.ViewStartSerializer,
        responses={201: inline_serializer("ViewStarted", {"view_id": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"], permission_classes=[], url_path="views")
    def views(self, request, pk=None):
        video = self._visible(pk)
        # The body is optional (players from before traffic sources send none).
        data = s.ViewStartSerializer(data=request.data if request.body.strip() else {})
        data.is_valid(raise_exception=True)
        view = services.view_start(
            video=video,
            user=request.user,
            ip=_client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            source=data.validated_data["source"],
        )
        return Response({"view_id": str(view.pk)}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.WatchSerializer,
        responses=inline_serializer(
            "WatchRecorded",
            {
                "view_id": serializers.CharField(),
                "watched_ms": serializers.IntegerField(),
                "counted": serializers.BooleanField(),
            },
        ),
    )
    @action(detail=True, methods=["post"], permission_classes=[], url_path="watch")
    def watch(self, request, pk=None):
        video = self._visible(pk)
        data = s.WatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        view = selectors.view_get_for_viewer(
            view_id=data.validated_data["view_id"],
            video=video,
            user=request.user,
            ip=_client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        view = services.view_heartbeat(
            view=view,
            video=video,
            position_ms=data.validated_data["position_ms"],
            watched_ms=data.validated_data["watched_ms"],
        )
        return Response(
            {"view_id": str(view.pk), "watched_ms": view.watched_ms, "counted": view.counted_at is not None}
        )

    def _react(self, request, pk, kind):
        video = self._visible(pk)
        if request.method == "POST":
            services.video_react(user=request.user, video=video, kind=kind)
        else:
            services.video_unreact(user=request.user, video=video, kind=kind)
        video.refresh_from_db(fields=["likes_count", "dislikes_count"])
        reaction = selectors.video_reactions_for(viewer=request.user, video_ids=[video.pk]).get(video.pk)
        return Response(
            {"likes_count": video.likes_count, "dislikes_count": video.dislikes_count, "viewer_reaction": reaction}
        )

    @extend_schema(request=None, responses={200: s.VideoReactionsSerializer})
    @action(detail=True, methods=["post", "delete"], permission_classes=[IsAuthenticated])
    def like(self, request, pk=None):
        return self._react(request, pk, VideoReaction.Kind.LIKE)

    @extend_schema(request=None, responses={200: s.VideoReactionsSerializer})
    @action(detail=True, methods=["post", "delete"], permission_classes=[IsAuthenticated])
    def dislike(self, request, pk=None):
        return self._react(request, pk, VideoReaction.Kind.DISLIKE)

    @extend_schema(
        methods=["GET"],
        responses=s.CommentSerializer(many=True),
        parameters=[OpenApiParameter("parent", str, description="list the replies of this comment")],
    )
    @extend_schema(methods=["POST"], request=s.CommentCreateSerializer, responses={201: s.CommentSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[IsAuthenticatedOrReadOnly],
        pagination_class=CommentPagination,
    )
    @idempotent
    def comments(self, request, pk=None):
        video = self._visible(pk)
        if request.method == "POST":
            data = s.CommentCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            parent = None
            if data.validated_data.get("parent"):
                parent = selectors.comment_get_visible(comment_id=data.validated_data["parent"], viewer=request.user)
                if parent.video_id != video.pk:
                    raise NotFound("Comment not found.")
            comment = services.comment_create(
                video=video, author=request.user, text=data.validated_data["text"], parent=parent
            )
            return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        parent_id = request.query_params.get("parent")
        if parent_id:
            parent = selectors.comment_get_visible(comment_id=parent_id, viewer=request.user)
            qs = selectors.comment_list(video=video, viewer=request.user, parent_id=parent.pk)
            paginator = ReplyPagination()
        else:
            qs = selectors.comment_list(video=video, viewer=request.user)
            paginator = CommentPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.CommentSerializer(page, many=True).data)

    @extend_schema(responses=s.VideoSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="up-next", permission_classes=[], pagination_class=CursorPagination)
    def up_next(self, request, pk=None):
        video = self._visible(pk)
        videos = selectors.video_up_next(video=video, viewer=request.user)
        return Response({"results": s.VideoSerializer(videos, many=True).data, "next": None, "previous": None})


class CommentViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = s.CommentSerializer
    queryset = Comment.objects.none()  # for the schema only; reads go through selectors

    def _comment(self, pk):
        return selectors.comment_get_visible(comment_id=pk, viewer=self.request.user)

    def _creator_only(self, comment, action: str):
        if not access.can_act(self.request.user, action, comment, kind="comment"):
            raise PermissionDenied("Only the video's creator can do this.")

    @extend_schema(responses=s.CommentSerializer)
    def retrieve(self, request, pk=None):
        return Response(s.CommentSerializer(self._comment(pk)).data)

    def get_permissions(self):
        if self.action == "retrieve":
            return []
        return super().get_permissions()

    def destroy(self, request, pk=None):
        comment = self._comment(pk)
        if not access.can_act(request.user, "delete", comment, kind="comment"):
            raise PermissionDenied("Only the comment's author or the video's creator can delete it.")
        services.comment_delete(comment=comment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=s.CommentSerializer)
    @action(detail=True, methods=["post", "delete"])
    def like(self, request, pk=None):
        comment = self._comment(pk)
        if request.method == "POST":
            services.comment_like(user=request.user, comment=comment)
        else:
            services.comment_unlike(user=request.user, comment=comment)
        comment.refresh_from_db(fields=["likes_count"])
        comment.viewer_liked = request.method == "POST"
        return Response(s.CommentSerializer(comment).data)

    @extend_schema(request=None, responses=s.CommentSerializer)
    @action(detail=True, methods=["post", "delete"])
    def pin(self, request, pk=None):
        comment = self._comment(pk)
        self._creator_only(comment, "pin")
        if request.method == "POST":
            if comment.parent_id or access.is_moderation_hidden(comment):
                raise PermissionDenied("Only visible top-level comments can be pinned.", code="not_pinnable")
            comment = services.comment_pin(comment=comment)
        else:
            comment = services.comment_unpin(comment=comment)
        return Response(s.CommentSerializer(comment).data)

    @extend_schema(request=None, responses=s.CommentSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        comment = self._comment(pk)
        self._creator_only(comment, "hold")
        return Response(s.CommentSerializer(services.comment_hold(comment=comment, by=request.user)).data)

    @extend_schema(request=None, responses=s.CommentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        comment = self._comment(pk)
        self._creator_only(comment, "approve")
        return Response(s.CommentSerializer(services.comment_approve(comment=comment, by=request.user)).data)


class PlaylistViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = s.PlaylistSerializer

    def get_queryset(self):
        return selectors.playlist_list(viewer=self.request.user, owner=self.request.query_params.get("owner"))

    def _owned(self, pk):
        playlist = selectors.playlist_get_visible(playlist_id=pk, viewer=self.request.user)
        if not access.can_act(self.request.user, "edit", playlist, kind="playlist"):
            raise PermissionDenied("Only the playlist's owner can change it.")
        return playlist

    @extend_schema(parameters=[OpenApiParameter("owner", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.PlaylistInputSerializer, responses={201: s.PlaylistSerializer})
    @idempotent
    def create(self, request):
        data = s.PlaylistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        playlist = services.playlist_create(owner=request.user, **data.validated_data)
        return Response(s.PlaylistSerializer(playlist).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.PlaylistDetailSerializer)
    def retrieve(self, request, pk=None):
        playlist = selectors.playlist_get_visible(playlist_id=pk, viewer=request.user)
        videos = selectors.playlist_videos(playlist=playlist, viewer=request.user)
        return Response(s.PlaylistDetailSerializer(playlist, context={"videos": videos}).data)

    @extend_schema(request=s.PlaylistInputSerializer, responses=s.PlaylistSerializer)
    def partial_update(self, request, pk=None):
        playlist = self._owned(pk)
        data = s.PlaylistInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        playlist = services.playlist_update(playlist=playlist, **data.validated_data)
        return Response(s.PlaylistSerializer(playlist).data)

    def destroy(self, request, pk=None):
        services.playlist_delete(playlist=self._owned(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.PlaylistItemSerializer, responses={201: s.PlaylistSerializer})
    @action(detail=True, methods=["post"], url_path="items")
    def items(self, request, pk=None):
        playlist = self._owned(pk)
        data = s.PlaylistItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = selectors.video_get_visible(video_id=data.validated_data["video_id"], viewer=request.user)
        services.playlist_item_add(playlist=playlist, video=video)
        playlist.refresh_from_db(fields=["items_count"])
        return Response(s.PlaylistSerializer(playlist).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[OpenApiParameter("video_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["delete"], url_path=r"items/(?P<video_id>[^/.]+)")
    def remove_item(self, request, pk=None, video_id=None):
        playlist = self._owned(pk)
        try:
            video_pk = int(video_id)
        except (TypeError, ValueError) as exc:
            raise NotFound("Video not in playlist.") from exc
        if not services.playlist_item_remove(playlist=playlist, video_id=video_pk):
            raise NotFound("Video not in playlist.")
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Live REST endpoints (thin: validate, call a selector/service, serialize)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from live import selectors, services
from live.api.serializers import (
    BanCreateSerializer,
    BanSerializer,
    ChannelSerializer,
    ChatMessageSerializer,
    OwnerStreamSerializer,
    StreamCreateSerializer,
    StreamListSerializer,
    StreamSerializer,
    StreamUpdateSerializer,
)
from live.models import Stream
from socialflow.api.idempotency import idempotent
from socialflow.api.pagination import CursorPagination, PageNumberPagination
from socialflow.core import access
from socialflow.core import exceptions as domain


class ChatHistoryPagination(CursorPagination):
    page_size = 50
    ordering = ("-created_at", "-id")


class ChannelView(APIView):
    """``GET live/channel``: the caller's stream key and RTMP URL (the channel is made on first use)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["live"], responses=ChannelSerializer)
    def get(self, request):
        return Response(ChannelSerializer(services.channel_get_or_create(owner=request.user)).data)


class ChannelRotateKeyView(APIView):
    """``POST live/channel/rotate-key``: a new stream key; the old one is refused from now on."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["live"], request=None, responses=ChannelSerializer)
    def post(self, request):
        return Response(ChannelSerializer(services.channel_rotate_key(owner=request.user)).data)


class StreamViewSet(viewsets.ViewSet):
    """``live/streams``: the live directory, a stream, and the owner's controls."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PageNumberPagination
    lookup_value_regex = r"[0-9]+"
    queryset = Stream.objects.none()  # for the OpenAPI schema's path parameter types only

    def _detail(self, request, stream, status_code=status.HTTP_200_OK):
        serializer_class = OwnerStreamSerializer if stream.owner_id == request.user.pk else StreamSerializer
        return Response(serializer_class(stream, context={"request": request}).data, status=status_code)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["live", "idle", "ended", "all"], description="default live"),
            OpenApiParameter("category", str),
            OpenApiParameter("owner", str, description="username"),
        ],
        responses=StreamListSerializer(many=True),
    )
    def list(self, request):
        wanted = request.query_params.get("status", "live")
        if wanted not in {"live", "idle", "ended", "all"}:
            raise ValidationError({"status": ["One of live, idle, ended, all."]})
        queryset = selectors.stream_list_public(
            viewer=request.user,
            status=wanted,
            category=request.query_params.get("category", ""),
            owner_username=request.query_params.get("owner", ""),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(StreamListSerializer(page, many=True).data)

    @extend_schema(
        request=StreamCreateSerializer,
        responses={
            201: OwnerStreamSerializer,
            409: OpenApiResponse(description="The owner already has an active stream."),
        },
    )
    @idempotent
    def create(self, request):
        serializer = StreamCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stream = services.stream_create(owner=request.user, **serializer.validated_data)
        return self._detail(
            request, selectors.stream_get(stream_id=stream.pk, viewer=request.user), status.HTTP_201_CREATED
        )

    @extend_schema(responses=OwnerStreamSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(request, selectors.stream_get(stream_id=pk, viewer=request.user))

    @extend_schema(request=StreamUpdateSerializer, responses=OwnerStreamSerializer)
    def partial_update(self, request, pk=None):
        stream = selectors.stream_get_for_owner(stream_id=pk, user=request.user)
        serializer = StreamUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        moderators = fields.pop("moderators", None)
        services.stream_update(stream=stream, moderators=moderators, **fields)
        return self._detail(request, selectors.stream_get(stream_id=stream.pk, viewer=request.user))

    @extend_schema(request=None, responses=OwnerStreamSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-key")
    def rotate_key(self, request, pk=None):
        stream = selectors.stream_get_for_owner(stream_id=pk, user=request.user)
        services.stream_rotate_key(stream=stream)
        return self._detail(request, selectors.stream_get(stream_id=stream.pk, viewer=request.user))

    @extend_schema(request=None, responses=OwnerStreamSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        stream = selectors.stream_get(stream_id=pk, viewer=request.user)
        if not access.can_act(request.user, "end", stream, kind="stream"):
            raise PermissionDenied(detail="Only the streamer can end this stream.", code="not_owner")
        services.stream_end(stream=stream, by=request.user)
        return self._detail(request, selectors.stream_get(stream_id=stream.pk, viewer=request.user))

    @extend_schema(responses=ChatMessageSerializer(many=True))
    @action(
        detail=True, methods=["get"], permission_classes=[permissions.AllowAny], pagination_class=ChatHistoryPagination
    )
    def chat(self, request, pk=None):
        stream = selectors.stream_get(stream_id=pk, viewer=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.chat_history(stream=stream, viewer=request.user), request, view=self
        )
        return paginator.get_paginated_response(ChatMessageSerializer(page, many=True).data)

    @extend_schema(request=None, responses={204: None}, parameters=[OpenApiParameter("message_id", int, "path")])
    @action(detail=True, methods=["delete"], url_path=r"chat/(?P<message_id>[0-9]+)")
    def chat_delete(self, request, pk=None, message_id=None):
        stream = selectors.stream_get(stream_id=pk, viewer=request.user)
        message = selectors.chat_message_get(stream=stream, message_id=message_id)
        if not access.can_act(request.user, "delete", message, kind="chat_message"):
            raise PermissionDenied(detail="Only the streamer and moderators can delete messages.", code="not_moderator")
        services.chat_message_delete(message=message, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses=BanSerializer(many=True))
    @extend_schema(methods=["POST"], request=BanCreateSerializer, responses={201: BanSerializer})
    @action(detail=True, methods=["get", "post"])
    def bans(self, request, pk=None):
        stream = selectors.stream_get_for_moderator(stream_id=pk, user=request.user)
        if request.method == "GET":
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(selectors.stream_bans(stream=stream), request, view=self)
            return paginator.get_paginated_response(BanSerializer(page, many=True).data)
        serializer = BanCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = _user_by_username(serializer.validated_data["username"])
        if selectors.user_can_moderate(stream=stream, user=target):
            raise ValidationError({"username": ["The streamer and moderators cannot be banned from the chat."]})
        ban = services.chat_ban_create(
            stream=stream,
            user=target,
            by=request.user,
            duration_s=serializer.validated_data.get("duration_s"),
            reason=serializer.validated_data["reason"],
        )
        return Response(BanSerializer(ban).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[OpenApiParameter("username", str, "path")])
    @action(detail=True, methods=["delete"], url_path=r"bans/(?P<username>[A-Za-z0-9_]{1,30})")
    def unban(self, request, pk=None, username=None):
        stream = selectors.stream_get_for_moderator(stream_id=pk, user=request.user)
        # The username is the resource in this path: an unknown one is a 404, like an unbanned one.
        try:
            user = accounts_selectors.user_get_by_username(username=username)
        except domain.NotFound:
            user = None
        if user is None or not services.chat_ban_delete(stream=stream, user=user, by=request.user):
            raise NotFound(detail="This user is not banned from this stream.")
        return Response(status=status.HTTP_204_NO_CONTENT)


def _user_by_username(username: str):
    """The user a request body names: an unknown one is a field error (400), not a 404."""
    try:
        return accounts_selectors.user_get_by_username(username=username)
    except domain.NotFound:
        raise ValidationError({"username": ["No such user."]}) from None

"""Notifications REST endpoints (thin: validate, call a selector/service, serialize)."""

from django.contrib.auth import get_user_model
from django.core import signing
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import delivery, emails, selectors, services
from notifications.api.serializers import (
    DeviceRegisterSerializer,
    DeviceSerializer,
    MarkReadResultSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    UnreadCountSerializer,
    preferences_payload,
)
from notifications.models import Kind, Notification, PushDevice
from socialflow.api.pagination import CursorPagination, PageNumberPagination

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}


class NotificationPagination(CursorPagination):
    page_size = 20
    # Aggregated rows move up when a new actor joins them, like every notification inbox.
    ordering = ("-updated_at", "-id")


def _parse_bool(name: str, raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ValidationError({name: ["Use true or false."]})


class NotificationListView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = NotificationPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="true: only unread; false: only read"),
            OpenApiParameter("kind", str, enum=Kind.values, description="only this kind (comma-separated for several)"),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request):
        kinds = [k for k in request.query_params.get("kind", "").split(",") if k]
        unknown = sorted(set(kinds) - set(Kind.values))
        if unknown:
            raise ValidationError({"kind": [f"Unknown kind: {', '.join(unknown)}."]})
        unread = _parse_bool("unread", request.query_params.get("unread"))
        queryset = selectors.notification_list(user=request.user, kinds=kinds, unread=unread)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _get(self, request, pk) -> Notification:
        try:
            return selectors.notification_get_for_user(user=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise NotFound("No such notification.", code="not_found") from None

    @extend_schema(responses=NotificationSerializer)
    def get(self, request, pk):
        notification = self._get(request, pk)
        row = selectors.notification_list_by_ids(ids=[notification.pk]).get()
        return Response(NotificationSerializer(row).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.notification_delete(notification=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnreadCountView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=UnreadCountSerializer)
    def get(self, request):
        return Response({"unread_count": selectors.unread_count(user_id=request.user.pk)})


class MarkReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=MarkReadSerializer, responses=MarkReadResultSerializer)
    def post(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(
            user=request.user, ids=serializer.validated_data.get("ids"), all=serializer.validated_data["all"]
        )
        return Response({"marked": marked, "unread_count": selectors.unread_count(user_id=request.user.pk)})


class PreferencesView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _payload(self, user):
        return preferences_payload(
            email_mode=selectors.email_mode_for(user_id=user.pk), kinds=selectors.preferences_for(user_id=user.pk)
        )

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        return Response(self._payload(request.user))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request):
        serializer = PreferencesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.preferences_update(
            user=request.user,
            kinds=serializer.validated_data.get("kinds"),
            email_mode=serializer.validated_data.get("email_mode"),
        )
        return Response(self._payload(request.user))


class DevicePagination(PageNumberPagination):
    page_size = 50


class DeviceListView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = DevicePagination

    @extend_schema(responses=DeviceSerializer(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.devices_queryset(user_id=request.user.pk), request, view=self)
        return paginator.get_paginated_response(DeviceSerializer(page, many=True).data)

    @extend_schema(request=DeviceRegisterSerializer, responses={201: DeviceSerializer})
    def post(self, request):
        serializer = DeviceRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        keys = data.get("keys") or {}
        device = services.device_register(
            user=request.user,
            platform=data["platform"],
            token=data["token"],
            p256dh=keys.get("p256dh", ""),
            auth=keys.get("auth", ""),
            name=data.get("name", ""),
        )
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        try:
            device = selectors.device_get_for_user(user_id=request.user.pk, device_id=pk)
        except PushDevice.DoesNotExist:
            raise NotFound("No such device.", code="not_found") from None
        services.device_delete(device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebPushKeyView(APIView):
    """The VAPID public key a browser passes to ``pushManager.subscribe`` (public)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "WebPushKey",
            {
                "enabled": serializers.BooleanField(),
                "public_key": serializers.CharField(allow_null=True),
                "detail": serializers.CharField(),
            },
        )
    )
    def get(self, request):
        key = delivery.vapid_public_key()
        detail = (
            "Web Push is enabled."
            if key
            else "Web Push is disabled on this server: WEBPUSH_VAPID_PRIVATE_KEY is not set."
        )
        return Response({"enabled": bool(key), "public_key": key, "detail": detail})


class UnsubscribeView(APIView):
    """API form of the email one-click unsubscribe: ``{token}`` from an email link (public)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=inline_serializer("Unsubscribe", {"token": serializers.CharField()}),
        responses=inline_serializer(
            "UnsubscribeResult", {"kind": serializers.CharField(allow_null=True), "email_mode": serializers.CharField()}
        ),
        auth=[],
    )
    def post(self, request):
        token = request.data.get("token") if isinstance(request.data, dict) else None
        if not isinstance(token, str) or not token:
            raise ValidationError({"token": ["This field is required."]})
        user, kind = user_for_unsubscribe_token(token)
        services.email_unsubscribe(user=user, kind=kind)
        return Response({"kind": kind, "email_mode": selectors.email_mode_for(user_id=user.pk)})


def user_for_unsubscribe_token(token: str):
    """``(user, kind or None)`` of a signed unsubscribe token; 400 when forged, 404 when the user is gone."""
    try:
        user_id, kind = emails.read_unsubscribe_token(token)
    except signing.BadSignature:
        raise ValidationError({"token": ["This unsubscribe link is invalid."]}, code="invalid") from None
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such account.", code="not_found")
    return user, kind

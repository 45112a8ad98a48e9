"""Thin views: reports, their threads, the caller's account actions and appeals go through
``moderation.services`` and are listed by selectors."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from moderation import selectors, services
from moderation.api.serializers import (
    AccountActionSerializer,
    AppealCreateSerializer,
    AppealSerializer,
    ReportCreateSerializer,
    ReportMessageCreateSerializer,
    ReportMessageSerializer,
    ReportSerializer,
)
from moderation.api.throttles import ReportCreateThrottle
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination
from socialflow.api.throttling import UserRateThrottle


class ReportPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class ThreadPagination(CursorPagination):
    ordering = ("created_at", "id")


# POST: 201 with a new report; 200 with the caller's open report of that target when one exists
# (one open report per reporter and target). GET: the caller's own reports, newest first.
class ReportListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends = ()
    serializer_class = ReportSerializer
    pagination_class = ReportPagination
    throttle_classes = [UserRateThrottle, ReportCreateThrottle]
    throttle_scope = "reports"

    def get_queryset(self):
        return selectors.reports_of_reporter(reporter=self.request.user)

    @extend_schema(responses=ReportSerializer(many=True), parameters=CURSOR_PARAMS, operation_id="reports_list")
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=ReportCreateSerializer,
        responses={
            201: ReportSerializer,
            200: OpenApiResponse(ReportSerializer, description="Your open report of this target, unchanged."),
            404: OpenApiResponse(description="No such target, or the caller may not see it."),
        },
        operation_id="reports_create",
    )
    def post(self, request, *args, **kwargs):
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report, created = services.report_create(reporter=request.user, **data.validated_data)
        return Response(
            ReportSerializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


# The thread between the reporter and the moderators (moderators write from the admin).
class ReportMessagesView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends = ()
    serializer_class = ReportMessageSerializer
    pagination_class = ThreadPagination
    throttle_classes = [UserRateThrottle, ReportCreateThrottle]
    throttle_scope = "report_messages"

    def get_queryset(self):
        report = selectors.report_of_reporter(reporter=self.request.user, report_id=self.kwargs["report_id"])
        return selectors.report_messages(report=report)

    @extend_schema(
        responses={200: ReportMessageSerializer(many=True), 404: OpenApiResponse(description="Not your report.")},
        parameters=CURSOR_PARAMS,
        operation_id="report_messages_list",
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=ReportMessageCreateSerializer,
        responses={201: ReportMessageSerializer, 404: OpenApiResponse(description="Not your report.")},
        operation_id="report_messages_create",
    )
    def post(self, request, *args, **kwargs):
        report = selectors.report_of_reporter(reporter=request.user, report_id=kwargs["report_id"])
        data = ReportMessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.report_message_add(report=report, author=request.user, text=data.validated_data["text"])
        return Response(ReportMessageSerializer(message).data, status=status.HTTP_201_CREATED)


# Warnings, strikes, limits, suspensions and bans on the caller's account, newest first.
class AccountActionListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends = ()
    serializer_class = AccountActionSerializer
    pagination_class = ReportPagination

    def get_queryset(self):
        return selectors.account_actions_of(user=self.request.user)

    @extend_schema(parameters=CURSOR_PARAMS, operation_id="moderation_actions_list")
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


# The caller's appeals (GET) and a new one (POST): of an action on the account (action_id) or of
# a decision on the caller's content (target_type + target_id).
class AppealListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends = ()
    serializer_class = AppealSerializer
    pagination_class = ReportPagination
    throttle_classes = [UserRateThrottle, ReportCreateThrottle]
    throttle_scope = "appeals"

    def get_queryset(self):
        return selectors.appeals_of(user=self.request.user)

    @extend_schema(parameters=CURSOR_PARAMS, operation_id="appeals_list")
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=AppealCreateSerializer,
        responses={
            201: AppealSerializer,
            404: OpenApiResponse(description="No such action or content of yours."),
            409: OpenApiResponse(description="Already appealed."),
        },
        operation_id="appeals_create",
    )
    def post(self, request, *args, **kwargs):
        data = AppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_create(user=request.user, **data.validated_data)
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)

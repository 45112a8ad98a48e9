"""Thin views: reports are made through ``moderation.services`` and listed by a selector."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from moderation import selectors, services
from moderation.api.serializers import ReportCreateSerializer, ReportSerializer
from moderation.api.throttles import ReportCreateThrottle
from socialflow.api.pagination import CURSOR_PARAMS, CursorPagination
from socialflow.api.throttling import UserRateThrottle


class ReportPagination(CursorPagination):
    ordering = ("-created_at", "-id")


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

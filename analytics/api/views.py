"""Analytics REST endpoints: the owner's reports (thin: selectors in, dicts out)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors, services
from analytics.api import serializers as s
from videos import selectors as video_selectors

RANGE_PARAMS = [
    OpenApiParameter(
        "from", str, description="First day (YYYY-MM-DD, the creator's time zone); default 27 days before 'to'."
    ),
    OpenApiParameter("to", str, description="Last day, inclusive (YYYY-MM-DD); default today."),
]


def _range(request):
    return selectors.date_range(
        start=request.query_params.get("from"), end=request.query_params.get("to"), user=request.user
    )


class VideoAnalyticsView(APIView):
    # One video's daily report: its owner (or a track claimant) only; anyone else 404.
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = ()

    @extend_schema(parameters=RANGE_PARAMS, responses=s.VideoAnalyticsSerializer, operation_id="analytics_video")
    def get(self, request, video_id):
        video = selectors.video_for_analytics(video_id=video_id, user=request.user)
        return Response(selectors.video_report(video=video, rng=_range(request)))


class ChannelAnalyticsView(APIView):
    # The caller's channel: daily report, follower growth, top videos, revenue by source.
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = ()

    @extend_schema(parameters=RANGE_PARAMS, responses=s.ChannelAnalyticsSerializer, operation_id="analytics_channel")
    def get(self, request):
        return Response(selectors.channel_report(user=request.user, rng=_range(request)))


class RealtimeView(APIView):
    # Views and sessions per hour over the last 48 hours (the caller's channel, or one of its videos).
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = ()

    @extend_schema(
        parameters=[OpenApiParameter("video", str, description="Only this video (one of the caller's).")],
        responses={200: s.RealtimeSerializer, 404: OpenApiResponse(description="No such video of the caller's.")},
        operation_id="analytics_realtime",
    )
    def get(self, request):
        video = None
        if request.query_params.get("video"):
            video = selectors.video_for_analytics(video_id=request.query_params["video"], user=request.user)
        return Response(selectors.realtime(user=request.user, video=video))


class ShareView(APIView):
    # A viewer shared a video (the share button of the watch page): counted in the creator's analytics.
    permission_classes = [permissions.AllowAny]
    filter_backends = ()

    @extend_schema(
        request=s.ShareInputSerializer,
        responses={202: None, 404: OpenApiResponse(description="No such video visible to the caller.")},
        operation_id="analytics_share",
    )
    def post(self, request):
        data = s.ShareInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = video_selectors.video_get_visible(video_id=data.validated_data["video"], viewer=request.user)
        services.share_record(video=video, user=request.user, channel=data.validated_data["channel"])
        return Response(status=status.HTTP_202_ACCEPTED)

from django.urls import path, re_path

from live.api.hls import live_hls_file
from live.api.ingest import IngestPublishDoneView, IngestPublishView, IngestRecordDoneView, IngestUpdateView
from live.api.views import ChannelRotateKeyView, ChannelView, StreamViewSet
from socialflow.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("live/streams", StreamViewSet, basename="live-stream")

# One optional-slash pattern per callback (both forms, one OpenAPI operation each).
urlpatterns = [
    *router.urls,
    re_path(r"^live/channel/?$", ChannelView.as_view(), name="live-channel"),
    re_path(r"^live/channel/rotate-key/?$", ChannelRotateKeyView.as_view(), name="live-channel-rotate-key"),
    re_path(r"^live/ingest/publish/?$", IngestPublishView.as_view(), name="live-ingest-publish"),
    re_path(r"^live/ingest/publish-done/?$", IngestPublishDoneView.as_view(), name="live-ingest-publish-done"),
    re_path(r"^live/ingest/record-done/?$", IngestRecordDoneView.as_view(), name="live-ingest-record-done"),
    re_path(r"^live/ingest/update/?$", IngestUpdateView.as_view(), name="live-ingest-update"),
    path("live/hls/<str:playback_id>/<str:name>", live_hls_file, name="live-hls"),
]

from live.api.ingest import IngestPublishDoneView, IngestPublishView, IngestRecordDoneView
from live.api.views import StreamViewSet
from socialflow.api.routers import OptionalSlashRouter, api_path

router = OptionalSlashRouter()
# DRF's SimpleRouter turns any truthy trailing_slash into "/"; force the optional form (API.md).
router.trailing_slash = "/?"
router.register("live/streams", StreamViewSet, basename="live-stream")

urlpatterns = [
    *router.urls,
    *api_path("live/ingest/publish", IngestPublishView.as_view(), name="live-ingest-publish"),
    *api_path("live/ingest/publish-done", IngestPublishDoneView.as_view(), name="live-ingest-publish-done"),
    *api_path("live/ingest/record-done", IngestRecordDoneView.as_view(), name="live-ingest-record-done"),
]

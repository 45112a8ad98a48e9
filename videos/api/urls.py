from socialflow.api.routers import OptionalSlashRouter, api_path
from videos.api import tus, views

router = OptionalSlashRouter()
router.register("videos", views.VideoViewSet, basename="video")
router.register("comments", views.CommentViewSet, basename="video-comment")
router.register("playlists", views.PlaylistViewSet, basename="playlist")

urlpatterns = [
    *api_path("uploads", tus.UploadCreateView.as_view(), name="upload-create"),
    *api_path("uploads/<uuid:upload_id>", tus.UploadDetailView.as_view(), name="upload-detail"),
    *router.urls,
]

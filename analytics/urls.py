"""Server-rendered Studio pages of this app, mounted under /studio/analytics/."""

from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.channel_csv, name="channel-csv"),
    path("videos/<int:video_id>/", views.video, name="video"),
    path("videos/<int:video_id>/export.csv", views.video_csv, name="video-csv"),
]

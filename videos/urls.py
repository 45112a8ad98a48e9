"""Server-rendered Studio pages of this app, mounted under /studio/videos/."""

from django.urls import path

from videos import views

app_name = "videos"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("<int:video_id>/", views.edit, name="edit"),
    path("<int:video_id>/comments/", views.comments, name="comments"),
]

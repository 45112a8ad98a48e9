"""Public pages of videos (mounted at the site root by socialflow.urls; paths: socialflow.core.links)."""

from django.urls import path

from videos import public

urlpatterns = [
    path("v/<int:video_id>/", public.watch, name="video-watch-page"),
    path("v/<int:video_id>/embed/", public.embed, name="video-embed-page"),
    path("c/<str:username>/", public.channel, name="channel-page"),
]

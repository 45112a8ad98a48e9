"""Public pages of posts (mounted at the site root by socialflow.urls; paths: socialflow.core.links)."""

from django.urls import path

from posts import public

urlpatterns = [path("p/<int:post_id>/", public.permalink, name="post-permalink")]

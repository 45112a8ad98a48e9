from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from socialflow import health, media, public, studio

DOMAINS = [
    "accounts",
    "videos",
    "posts",
    "monetization",
    "copyright",
    "live",
    "notifications",
    "analytics",
    "moderation",
]

api_v1 = [path("", include(f"{domain}.api.urls")) for domain in DOMAINS]
studio_pages = [path(f"{domain}/", include(f"{domain}.urls")) for domain in DOMAINS]

urlpatterns = [
    re_path(r"^healthz/?$", health.healthz, name="healthz"),
    re_path(r"^livez/?$", health.livez, name="livez"),
    re_path(r"^readyz/?$", health.readyz, name="readyz"),
    path("", include("django_prometheus.urls")),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
    # dj-stripe's signed webhook endpoint: /stripe/webhook/<uuid>/
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("accounts/", include("allauth.urls")),
    path("studio/", studio.home, name="studio-home"),
    path("studio/", include(studio_pages)),
    # Public pages anyone can follow a link to (socialflow.core.links builds their URLs).
    path("", include("videos.public_urls")),
    path("", include("posts.public_urls")),
    re_path(r"^oembed/?$", public.oembed, name="oembed"),
    path("", studio.landing, name="landing"),
]

# Signed media paths are the app's own check (also in S3 mode, where they answer with playlists
# and presigned redirects); plain /media/ only where the app serves local media itself.
urlpatterns.append(re_path(r"^media/s/(?P<token>[^/]+)/(?P<path>.+)$", media.serve_signed_media, name="media-signed"))
if settings.SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", media.serve_media, name="media"))

handler404 = "socialflow.errors.not_found"
handler500 = "socialflow.errors.server_error"

admin.site.site_header = "Social Flow moderation"
admin.site.site_title = "Social Flow admin"
admin.site.index_title = "Moderation console"

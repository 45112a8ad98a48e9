from analytics.api import views
from socialflow.api.routers import api_route as route

urlpatterns = [
    route(r"analytics/videos/(?P<video_id>[^/]+)", views.VideoAnalyticsView.as_view(), "analytics-video"),
    route("analytics/channel", views.ChannelAnalyticsView.as_view(), "analytics-channel"),
    route("analytics/realtime", views.RealtimeView.as_view(), "analytics-realtime"),
    route("analytics/shares", views.ShareView.as_view(), "analytics-shares"),
]

from notifications.api import views
from socialflow.api.routers import api_route as route

urlpatterns = [
    route("notifications", views.NotificationListView.as_view(), "notifications-list"),
    route("notifications/unread-count", views.UnreadCountView.as_view(), "notifications-unread-count"),
    route("notifications/mark-read", views.MarkReadView.as_view(), "notifications-mark-read"),
    route("notifications/preferences", views.PreferencesView.as_view(), "notifications-preferences"),
    route("notifications/devices", views.DeviceListView.as_view(), "notifications-devices"),
    route(r"notifications/devices/(?P<pk>[0-9]{1,18})", views.DeviceDetailView.as_view(), "notifications-device"),
    route("notifications/webpush/public-key", views.WebPushKeyView.as_view(), "notifications-webpush-key"),
    route("notifications/unsubscribe", views.UnsubscribeView.as_view(), "notifications-unsubscribe"),
    route(r"notifications/(?P<pk>[0-9]{1,18})", views.NotificationDetailView.as_view(), "notifications-detail"),
]

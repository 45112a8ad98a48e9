from notifications.api import views
from socialflow.api.routers import api_path

urlpatterns = [
    *api_path("notifications", views.NotificationListView.as_view(), name="notifications-list"),
    *api_path("notifications/unread-count", views.UnreadCountView.as_view(), name="notifications-unread-count"),
    *api_path("notifications/mark-read", views.MarkReadView.as_view(), name="notifications-mark-read"),
    *api_path("notifications/preferences", views.PreferencesView.as_view(), name="notifications-preferences"),
    *api_path("notifications/devices", views.DeviceListView.as_view(), name="notifications-devices"),
    *api_path("notifications/devices/<int:pk>", views.DeviceDetailView.as_view(), name="notifications-device"),
    *api_path("notifications/webpush/public-key", views.WebPushKeyView.as_view(), name="notifications-webpush-key"),
    *api_path("notifications/unsubscribe", views.UnsubscribeView.as_view(), name="notifications-unsubscribe"),
    *api_path("notifications/<int:pk>", views.NotificationDetailView.as_view(), name="notifications-detail"),
]

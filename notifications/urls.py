"""Server-rendered Studio pages of this app, mounted under /studio/notifications/."""

app_name = "notifications"
urlpatterns: list = []

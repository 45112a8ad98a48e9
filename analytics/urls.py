"""Server-rendered Studio pages of this app, mounted under /studio/analytics/."""

app_name = "analytics"
urlpatterns: list = []

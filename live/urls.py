"""Server-rendered Studio pages of this app, mounted under /studio/live/."""

app_name = "live"
urlpatterns: list = []

"""Server-rendered Studio pages of this app, mounted under /studio/videos/."""

app_name = "videos"
urlpatterns: list = []

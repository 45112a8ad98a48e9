"""Server-rendered Studio pages of this app, mounted under /studio/posts/."""

app_name = "posts"
urlpatterns: list = []

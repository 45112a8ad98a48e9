"""Server-rendered Studio pages of this app, mounted under /studio/copyright/."""

app_name = "copyright"
urlpatterns: list = []

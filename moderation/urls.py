"""Server-rendered Studio pages of this app, mounted under /studio/moderation/."""

app_name = "moderation"
urlpatterns: list = []

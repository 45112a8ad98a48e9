"""Server-rendered Studio pages of this app, mounted under /studio/monetization/."""

app_name = "monetization"
urlpatterns: list = []

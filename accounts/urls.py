"""Server-rendered Studio pages of this app, mounted under /studio/accounts/."""

app_name = "accounts"
urlpatterns: list = []

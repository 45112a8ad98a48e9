"""Server-rendered Studio pages of this app, mounted under /studio/accounts/."""

from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.index, name="index"),
]

"""Server-rendered Studio pages of this app, mounted under /studio/live/."""

from django.urls import path

from live import views

app_name = "live"
urlpatterns = [path("", views.index, name="index")]

"""Server-rendered Studio pages of this app, mounted under /studio/moderation/."""

from django.urls import path

from moderation import views

app_name = "moderation"
urlpatterns = [path("", views.index, name="index")]

"""Server-rendered Studio pages of this app, mounted under /studio/copyright/."""

from django.urls import path

from copyright import views

app_name = "copyright"
urlpatterns = [path("", views.index, name="index")]

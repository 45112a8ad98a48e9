"""Server-rendered Studio pages of this app, mounted under /studio/monetization/."""

from django.urls import path

from monetization import views

app_name = "monetization"
urlpatterns = [
    path("", views.index, name="index"),
]

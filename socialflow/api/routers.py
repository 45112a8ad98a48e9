"""Routing helpers that accept both slash forms (API.md: ``/path`` and ``/path/``, every method)."""

from django.urls import path
from rest_framework.routers import DefaultRouter, SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # SimpleRouter turns any truthy trailing_slash argument into "/": set the regex afterwards.
        self.trailing_slash = "/?"


class OptionalSlashDefaultRouter(DefaultRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"


def api_path(route: str, view, name: str | None = None) -> list:
    """``path()`` for both ``route`` and ``route/``; spread it into urlpatterns: ``*api_path(...)``."""
    route = route.rstrip("/")
    return [path(route, view, name=name), path(f"{route}/", view)]

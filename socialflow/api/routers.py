"""Routing helpers that accept both slash forms (API.md: ``/path`` and ``/path/``, every method)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # SimpleRouter turns any truthy trailing_slash argument into "/": set the regex afterwards.
        self.trailing_slash = "/?"


def api_path(route: str, view, name: str | None = None) -> list:
    """``path()`` for both ``route`` and ``route/``; spread it into urlpatterns: ``*api_path(...)``."""
    route = route.rstrip("/")
    return [path(route, view, name=name), path(f"{route}/", view)]


def api_route(pattern: str, view, name: str):
    """``re_path`` for a regex ``pattern`` (no anchors, no trailing slash) matching both slash forms."""
    return re_path(rf"^{pattern}/?$", view, name=name)

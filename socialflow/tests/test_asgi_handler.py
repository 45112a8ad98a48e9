"""Django behind ``socialflow.asgi`` runs each request's middleware chain and view in one worker
thread (socialflow.asgi_handler) and answers as Django's own handlers do."""

import asyncio
import json
import threading

import httpx
import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from posts import services as post_services
from socialflow.asgi import django_asgi_app

pytestmark = pytest.mark.django_db(transaction=True)


def _get(path: str, headers: dict | None = None) -> httpx.Response:
    async def run():
        transport = httpx.ASGITransport(app=django_asgi_app, client=("10.1.2.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, headers=headers or {})

    return asyncio.run(run())


def test_the_chain_is_sync_and_entered_once():
    assert not asyncio.iscoroutinefunction(django_asgi_app._middleware_chain)


def test_it_answers_like_the_sync_handler():
    author = UserFactory(username="asgi_author")
    post_services.post_create(author=author, text="through ASGI")
    headers = {"Authorization": f"Bearer {AccessToken.for_user(author)}"}
    over_asgi = _get("/api/v1/feed/home", headers)
    direct = Client().get("/api/v1/feed/home", HTTP_AUTHORIZATION=headers["Authorization"])
    assert over_asgi.status_code == direct.status_code == 200
    assert over_asgi.json() == json.loads(direct.content)
    assert over_asgi.json()["results"][0]["text"] == "through ASGI"
    assert over_asgi.headers["x-request-id"]  # the middleware ran (django_guid)


def test_errors_and_middleware_answers_come_through():
    assert _get("/api/v1/feed/home").status_code == 401
    assert _get("/api/v1/no-such-endpoint").status_code == 404


def test_views_run_outside_the_event_loop_thread(monkeypatch):
    from posts.api import feed_views

    seen = {}
    original = feed_views.HomeFeedView.get

    def spy(self, request, *args, **kwargs):
        seen["thread"] = threading.current_thread()
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(feed_views.HomeFeedView, "get", spy)
    user = UserFactory(username="asgi_reader")
    assert _get("/api/v1/feed/home", {"Authorization": f"Bearer {AccessToken.for_user(user)}"}).status_code == 200
    assert seen["thread"] is not threading.main_thread()

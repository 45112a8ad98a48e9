from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.websocket_auth import JWTAuthMiddlewareStack

pytestmark = pytest.mark.django_db(transaction=True)


async def whoami(scope, receive, send):
    """A bare websocket app that answers with the user the middleware resolved."""
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    user = scope["user"]
    await send({"type": "websocket.send", "text": user.username if user.is_authenticated else ""})
    await send({"type": "websocket.close"})


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect_as(cookie: bytes) -> str:
    communicator = WebsocketCommunicator(JWTAuthMiddlewareStack(whoami), "/ws/x/", headers=[(b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    text = await communicator.receive_from()
    await communicator.disconnect()
    return text


@pytest.fixture
def cookies(alice):
    return session_cookie(alice)


async def test_it_authenticates_a_websocket_by_session(alice, cookies):
    assert await connect_as(cookies) == "alice"


async def test_it_treats_a_banned_users_session_as_anonymous(alice, cookies):
    await sync_to_async(services.user_ban)(user=alice, by=None, until=timezone.now() + timedelta(days=1), reason="x")
    assert await connect_as(cookies) == ""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from socialflow.asgi import application
from socialflow.routing import websocket_urlpatterns
from socialflow.websocket_origin import BrowserOriginValidator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_it_closes_an_unknown_websocket_path_with_4404():
    communicator = WebsocketCommunicator(application, "/ws/nope/")
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4404}
    await communicator.disconnect()


async def test_it_lets_native_clients_without_an_origin_connect():
    communicator = WebsocketCommunicator(_validated_app(), "/ws/nope/")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.disconnect()


def _validated_app():
    with override_settings(ALLOWED_HOSTS=["localhost", "127.0.0.1"]):
        return BrowserOriginValidator(URLRouter(websocket_urlpatterns))


async def test_it_refuses_a_foreign_browser_origin():
    communicator = WebsocketCommunicator(_validated_app(), "/ws/nope/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_it_accepts_an_allowed_browser_origin():
    communicator = WebsocketCommunicator(_validated_app(), "/ws/nope/", headers=[(b"origin", b"http://localhost:8000")])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.disconnect()

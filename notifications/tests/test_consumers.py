import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken
from uvicorn.protocols.utils import ClientDisconnected

from accounts.websocket_auth import JWTAuthMiddlewareStack
from notifications import services
from notifications.realtime import user_group
from notifications.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

application = JWTAuthMiddlewareStack(URLRouter(websocket_urlpatterns))


@pytest.fixture
def alice_token(alice):
    return str(RefreshToken.for_user(alice).access_token)


async def _connect(token: str | None):
    path = "/ws/notifications/" + (f"?token={token}" if token else "")
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_it_pushes_a_notification_after_commit(alice, bob, target, alice_token):
    communicator, connected = await _connect(alice_token)
    assert connected
    assert await communicator.receive_json_from() == {"type": "unread_count", "unread_count": 0}
    notification = await database_sync_to_async(services.notify)(
        recipient=alice, kind="reply", actor=bob, target=target, data={"url": "/posts/3"}
    )
    frame = await communicator.receive_json_from()
    assert frame["type"] == "notification"
    assert frame["unread_count"] == 1
    assert frame["notification"]["id"] == str(notification.pk)
    assert frame["notification"]["text"] == "Bob replied to your post"
    assert frame["notification"]["url"] == "https://sf.example.com/posts/3"
    await communicator.disconnect()


async def test_it_pushes_only_to_the_recipient(alice, bob, target):
    bob_token = await database_sync_to_async(lambda: str(RefreshToken.for_user(bob).access_token))()
    communicator, _ = await _connect(bob_token)
    await communicator.receive_json_from()
    await database_sync_to_async(services.notify)(recipient=alice, kind="reply", actor=bob, target=target)
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_it_pushes_an_aggregated_row_again(alice, bob, charlie, target, alice_token):
    communicator, _ = await _connect(alice_token)
    await communicator.receive_json_from()
    await database_sync_to_async(services.notify)(recipient=alice, kind="like_post", actor=bob, target=target)
    first = await communicator.receive_json_from()
    await database_sync_to_async(services.notify)(recipient=alice, kind="like_post", actor=charlie, target=target)
    second = await communicator.receive_json_from()
    assert second["notification"]["id"] == first["notification"]["id"]
    assert second["notification"]["actors_count"] == 2
    assert second["unread_count"] == 1
    await communicator.disconnect()


async def test_it_marks_read_over_the_socket(alice, bob, target, alice_token):
    notification = await database_sync_to_async(services.notify)(
        recipient=alice, kind="reply", actor=bob, target=target
    )
    communicator, _ = await _connect(alice_token)
    assert (await communicator.receive_json_from())["unread_count"] == 1
    await communicator.send_json_to({"type": "mark_read", "ids": [notification.pk]})
    assert await communicator.receive_json_from() == {"type": "unread_count", "unread_count": 0}
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.send_json_to({"type": "mark_read", "ids": "nope"})
    assert (await communicator.receive_json_from())["code"] == "invalid"
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from())["code"] == "invalid"
    await communicator.disconnect()


async def test_it_closes_anonymous_sockets_with_4401():
    communicator, connected = await _connect(None)
    assert connected  # accepted so the browser can read the close code
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_it_closes_sockets_with_a_bad_token():
    communicator, _ = await _connect("garbage.token.here")
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_it_pushes_follower_fan_outs(alice, bob, target):
    from accounts.models import Follow

    await database_sync_to_async(Follow.objects.create)(follower=bob, followee=alice)
    bob_token = await database_sync_to_async(lambda: str(RefreshToken.for_user(bob).access_token))()
    communicator, _ = await _connect(bob_token)
    await communicator.receive_json_from()
    await database_sync_to_async(services.notify_followers)(
        author=alice, kind="new_video", target=target, data={"title": "Trip"}
    )
    frame = await communicator.receive_json_from()
    assert frame["notification"]["kind"] == "new_video"
    assert frame["notification"]["text"] == "Alice uploaded a new video “Trip”"
    assert frame["unread_count"] == 1
    await communicator.disconnect()


async def test_it_leaves_the_user_group_when_a_send_finds_the_client_gone(alice, alice_token):
    # Like uvicorn: a send on a socket the client already closed raises ClientDisconnected. The
    # consumer must survive it so disconnect() removes it from the group (channels-redis would keep
    # the dead channel in notifications.user.<id> for a day, and every push would go to it).
    state = {"gone": False}

    async def server(scope, receive, send):
        async def guarded(message):
            if message["type"] == "websocket.send" and state["gone"]:
                raise ClientDisconnected
            await send(message)

        await application(scope, receive, guarded)

    communicator = WebsocketCommunicator(server, f"/ws/notifications/?token={alice_token}")
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=3))["type"] == "unread_count"
    groups = getattr(get_channel_layer(), "groups", None)  # the in-memory layer's; channels-redis keeps them in Redis
    assert groups is None or groups.get(user_group(alice.pk))
    state["gone"] = True
    await communicator.send_json_to({"type": "ping"})  # the pong hits the closed socket
    await asyncio.sleep(0.2)
    await communicator.disconnect()  # raised ClientDisconnected: the consumer had died
    assert groups is None or not groups.get(user_group(alice.pk))


@pytest.mark.parametrize(
    "frame",
    ["[" * 5000 + "]" * 5000, '{"type": "ping", "x": "\\ud800"}', '{"a":' * 100 + "1" + "}" * 100],
    ids=["deep", "lone-surrogate", "over-depth-limit"],
)
async def test_it_answers_hostile_frames_and_keeps_the_socket(alice, alice_token, frame):
    communicator, _ = await _connect(alice_token)
    await communicator.receive_json_from()
    await communicator.send_to(text_data=frame)
    assert (await communicator.receive_json_from())["code"] == "invalid"
    await communicator.send_to(bytes_data=b"\x00binary")
    assert (await communicator.receive_json_from())["code"] == "invalid"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}  # still alive
    await communicator.disconnect()

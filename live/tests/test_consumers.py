"""Every chat rule through a real websocket stack (JWT middleware + URLRouter + consumer).

The ``live`` channel layer is in-memory by default and channels-redis (pub/sub) when REDIS_URL is
set, so the CI pass on PostgreSQL + Redis runs these against Redis.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken
from uvicorn.protocols.utils import ClientDisconnected

from accounts.tests.factories import UserFactory
from accounts.websocket_auth import JWTAuthMiddlewareStack
from live import services
from live.lib import presence
from live.models import ChatMessage
from live.routing import websocket_urlpatterns
from live.tests.factories import StreamFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

application = JWTAuthMiddlewareStack(URLRouter(websocket_urlpatterns))


@pytest.fixture(autouse=True)
def _fast_chat(settings):
    settings.LIVE_VIEWERS_PUSH_INTERVAL_S = 0.05
    # 3 messages per 6 s (a token every 2 s, so a slow machine cannot refill one mid-test), 2.5 s timeout.
    settings.LIVE_CHAT_RATE_PERIOD_S = 6.0
    settings.LIVE_CHAT_RATE_TIMEOUT_S = 2.5


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


async def connect(stream, user=None, token=None):
    path = f"/ws/live/{stream.pk}/chat/"
    if user is not None:
        path += f"?token={token_for(user)}"
    elif token is not None:
        path += f"?token={token}"
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def next_frame(communicator, kind, timeout=3):
    """The next frame of ``kind``, skipping presence/status frames."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame
        assert frame["type"] in {"viewers", "chat.settings", "stream.status"}, frame


async def send(communicator, text):
    await communicator.send_json_to({"type": "chat.send", "text": text})


@pytest.fixture
async def room(transactional_db):
    return await database_sync_to_async(StreamFactory)(
        owner=await database_sync_to_async(UserFactory)(username="streamer")
    )


async def test_it_lets_anonymous_viewers_read_but_not_write(room):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    anon = await connect(room)
    writer = await connect(room, bob)
    await send(anon, "hello")
    error = await next_frame(anon, "error")
    assert error["code"] == "auth_required" and error["detail"]
    await send(writer, "hi all")
    message = await next_frame(anon, "chat.message")
    assert set(message) == {"type", "id", "user", "text", "sent_at"}
    assert message["user"] == {"username": "bob", "display_name": "Bob"}
    assert message["text"] == "hi all" and message["sent_at"].endswith("Z")
    assert (await next_frame(writer, "chat.message"))["id"] == message["id"]
    assert await database_sync_to_async(ChatMessage.objects.filter(pk=int(message["id"])).exists)()
    await anon.disconnect()
    await writer.disconnect()


async def test_it_rate_limits_then_times_out(room):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    writer = await connect(room, bob)
    for index in range(3):
        await send(writer, f"m{index}")
        assert (await next_frame(writer, "chat.message"))["text"] == f"m{index}"
    await send(writer, "too fast")
    assert (await next_frame(writer, "error"))["code"] == "rate_limited"
    await asyncio.sleep(0.3)  # still inside the timeout
    await send(writer, "still too fast")
    assert (await next_frame(writer, "error"))["code"] == "rate_limited"
    await asyncio.sleep(2.5)
    await send(writer, "after the timeout")
    assert (await next_frame(writer, "chat.message"))["text"] == "after the timeout"
    await writer.disconnect()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u200b", "empty"),
        ("\u200b\u200c\u200d\u2060\ufeff \n\u200e", "empty"),
        ("\u3164\u2800", "empty"),
        ("x" * 501, "too_long"),
        (42, "invalid"),
    ],
)
async def test_it_refuses_bad_text_and_keeps_the_socket(room, text, code):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    writer = await connect(room, bob)
    await send(writer, text)
    assert (await next_frame(writer, "error"))["code"] == code
    await send(writer, "x" * 500)
    assert len((await next_frame(writer, "chat.message"))["text"]) == 500
    await writer.disconnect()


async def test_it_enforces_slow_mode_except_for_the_streamer(room):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    await database_sync_to_async(services.stream_update)(stream=room, slow_mode_s=30)
    writer = await connect(room, bob)
    streamer = await connect(room, room.owner)
    await send(writer, "first")
    await next_frame(writer, "chat.message")
    await send(writer, "second")
    error = await next_frame(writer, "error")
    assert error["code"] == "slow_mode" and "30" in error["detail"]
    await send(streamer, "one")
    while (await next_frame(streamer, "chat.message"))["text"] != "one":
        pass
    await send(streamer, "two")
    assert (await next_frame(streamer, "chat.message"))["text"] == "two"
    await writer.disconnect()
    await streamer.disconnect()


async def test_it_refuses_banned_and_timed_out_users(room):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    charlie = await database_sync_to_async(UserFactory)(username="charlie")
    await database_sync_to_async(services.chat_ban_create)(stream=room, user=bob, by=room.owner)
    await database_sync_to_async(services.chat_ban_create)(stream=room, user=charlie, by=room.owner, duration_s=60)
    banned = await connect(room, bob)
    timed_out = await connect(room, charlie)
    await send(banned, "let me in")
    assert (await next_frame(banned, "error"))["code"] == "banned"
    await send(timed_out, "let me in")
    error = await next_frame(timed_out, "error")
    assert error["code"] == "timed_out" and "s" in error["detail"]
    await database_sync_to_async(services.chat_ban_delete)(stream=room, user=bob)
    await send(banned, "thanks")
    assert (await next_frame(banned, "chat.message"))["text"] == "thanks"
    await banned.disconnect()
    await timed_out.disconnect()


async def test_it_broadcasts_deletions(room):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    viewer = await connect(room)
    writer = await connect(room, bob)
    await send(writer, "oops")
    message = await next_frame(viewer, "chat.message")
    await next_frame(writer, "chat.message")
    stored = await database_sync_to_async(ChatMessage.objects.get)(pk=int(message["id"]))
    await database_sync_to_async(services.chat_message_delete)(message=stored, by=room.owner)
    assert await next_frame(viewer, "chat.deleted") == {"type": "chat.deleted", "id": message["id"]}
    assert await next_frame(writer, "chat.deleted") == {"type": "chat.deleted", "id": message["id"]}
    await viewer.disconnect()
    await writer.disconnect()


async def test_it_respects_chat_disabled_members_only_and_established_only(room, settings):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    writer = await connect(room, bob)
    await database_sync_to_async(services.stream_update)(stream=room, chat_enabled=False)
    await send(writer, "hello?")
    assert (await next_frame(writer, "error"))["code"] == "chat_disabled"
    await database_sync_to_async(services.stream_update)(stream=room, chat_enabled=True, members_only=True)
    await send(writer, "hello?")
    assert (await next_frame(writer, "error"))["code"] == "members_only"
    await database_sync_to_async(services.stream_update)(stream=room, members_only=False, chat_established_only=True)
    await send(writer, "hello?")
    assert (await next_frame(writer, "error"))["code"] == "not_established"
    settings.LIVE_CHAT_ESTABLISHED_MINUTES = 0
    await send(writer, "hello!")
    assert (await next_frame(writer, "chat.message"))["text"] == "hello!"
    await writer.disconnect()


async def test_it_refuses_chat_after_the_stream_ended(room):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    writer = await connect(room, bob)
    await database_sync_to_async(services.stream_end)(stream=room)
    await send(writer, "bye")
    assert (await next_frame(writer, "error"))["code"] == "stream_ended"
    await writer.disconnect()


async def test_it_pushes_viewer_counts_and_records_the_peak(room):
    first = await connect(room)
    assert (await first.receive_json_from(timeout=3)) == {"type": "viewers", "count": 1}
    second = await connect(room)
    assert (await second.receive_json_from(timeout=3))["count"] == 2
    while (await next_frame(first, "viewers"))["count"] != 2:
        pass
    await second.disconnect()
    while (await next_frame(first, "viewers"))["count"] != 1:
        pass
    await first.disconnect()
    await room.arefresh_from_db()
    assert room.peak_viewers == 2


@pytest.mark.parametrize(
    "frame",
    [
        "[" * 5000 + "]" * 5000,
        '{"type": "chat.send", "text": "\\ud800"}',
        '{"type": "chat.send", "text": ' + "[" * 100 + "]" * 100 + "}",
    ],
    ids=["deep", "lone-surrogate", "over-depth-limit"],
)
async def test_it_answers_hostile_frames_and_keeps_the_socket(room, frame):
    bob = await database_sync_to_async(UserFactory)(username="bob")
    sender = await connect(room, bob)
    await sender.send_to(text_data=frame)
    assert (await next_frame(sender, "error"))["code"] == "invalid_json"
    await sender.send_json_to({"type": "chat.send", "text": "still here"})
    assert (await next_frame(sender, "chat.message"))["text"] == "still here"
    await sender.disconnect()
    assert await database_sync_to_async(ChatMessage.objects.filter(stream=room).count)() == 1


async def test_it_answers_bad_frames_with_errors(room):
    viewer = await connect(room)
    await viewer.send_to(text_data="{not json")
    assert (await next_frame(viewer, "error"))["code"] == "invalid_json"
    await viewer.send_json_to({"type": "dance"})
    assert (await next_frame(viewer, "error"))["code"] == "unknown_type"
    await viewer.send_json_to({"type": "ping"})
    await viewer.send_json_to(["not", "an", "object"])
    assert (await next_frame(viewer, "error"))["code"] == "unknown_type"  # the ping itself got no answer
    await viewer.disconnect()


async def test_it_reads_anonymously_with_an_invalid_token(room):
    viewer = await connect(room, token="garbage")
    assert (await next_frame(viewer, "error"))["code"] == "token_invalid"
    await viewer.disconnect()


@pytest.mark.parametrize("stream_id", ["999999", "abc", "99999999999999999999999", "%C2%B2"])
async def test_it_closes_for_unknown_streams_with_4404_after_accepting(transactional_db, stream_id):
    # Accepted, then closed: a close before accept is an HTTP 403 that real clients see instead of 4404.
    communicator = WebsocketCommunicator(application, f"/ws/live/{stream_id}/chat/")
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 4404}


def _server_that_drops(state):
    """Like uvicorn: a send on a socket the client already closed raises ClientDisconnected."""

    async def app(scope, receive, send):
        async def guarded(message):
            if message["type"] == "websocket.send" and state["gone"]:
                raise ClientDisconnected
            await send(message)

        await application(scope, receive, guarded)

    return app


async def test_it_still_leaves_the_room_when_a_send_finds_the_client_gone(room, bob):
    # The client closed while its frame was in flight (or a room message raced its close): the
    # failed send must not kill the consumer before disconnect() removes it from the viewer count.
    state = {"gone": False}
    viewer = WebsocketCommunicator(_server_that_drops(state), f"/ws/live/{room.pk}/chat/?token={token_for(bob)}")
    assert (await viewer.connect())[0]
    assert (await viewer.receive_json_from(timeout=3))["type"] == "viewers"
    assert await presence.count(stream_id=room.pk) == 1
    state["gone"] = True
    await viewer.send_json_to({"type": "chat.send", "text": ""})  # its "empty" error frame hits the closed socket
    await asyncio.sleep(0.3)
    await viewer.disconnect()
    assert await presence.count(stream_id=room.pk) == 0

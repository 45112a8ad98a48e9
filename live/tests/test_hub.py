"""The room hub (live.lib.hub) against a real Redis: fan-out, leaving, slow sockets, an outage."""

import asyncio
import itertools

import pytest
import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings

from accounts.tests.factories import UserFactory
from live.lib.hub import TRY_AGAIN_LATER, RoomHub, room_channel
from live.tests.factories import StreamFactory
from socialflow.asgi import application

_room_ids = itertools.count(10**12, 2)


@pytest.fixture
def rooms() -> tuple[int, int]:
    """Two room ids no other test uses: a hub an earlier test left in its rooms may still be
    subscribed to them (its connection outlives the test's loop until it is collected)."""
    first = next(_room_ids)
    return first, first + 1


class Socket:
    """An ASGI send that records what it was given; ``stall()`` makes it wait like a full buffer."""

    def __init__(self):
        self.messages: list[dict] = []
        self.stalled: asyncio.Event | None = None

    async def __call__(self, message):
        self.messages.append(message)
        if self.stalled is not None:
            await self.stalled.wait()

    def stall(self):
        self.stalled = asyncio.Event()

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m["type"] == "websocket.send"]

    @property
    def close_codes(self) -> list[int]:
        return [m["code"] for m in self.messages if m["type"] == "websocket.close"]


async def subscribed(*stream_ids: int, count: int = 1) -> None:
    """Wait until Redis has the hub's subscriptions (SUBSCRIBE is sent, not acknowledged, by join);
    ``count=0``: until no one is subscribed to them."""
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        for _ in range(100):
            counts = dict(await client.pubsub_numsub(*(room_channel(s) for s in stream_ids)))
            if all((counts.get(room_channel(s).encode(), 0) >= 1) == bool(count) for s in stream_ids):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the hub never had {count} subscriber(s)")
    finally:
        await client.aclose()


async def until(predicate, timeout=3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_it_writes_each_room_frame_once_to_every_local_socket_of_the_room(rooms):
    room, other_room = rooms
    hub = RoomHub()
    first, second, third, elsewhere = Socket(), Socket(), Socket(), Socket()
    for socket in (first, second, third):
        await hub.join(room, socket)
    await hub.join(other_room, elsewhere)
    await subscribed(room, other_room)
    await hub.publish(room, '{"type":"chat.message","text":"hi"}')
    await hub.publish(room, '{"type":"chat.deleted","id":"7"}')
    await until(lambda: all(len(s.texts) == 2 for s in (first, second, third)))
    await asyncio.sleep(0.05)
    for socket in (first, second, third):
        assert socket.texts == ['{"type":"chat.message","text":"hi"}', '{"type":"chat.deleted","id":"7"}']
    assert elsewhere.messages == []


async def test_it_stops_writing_to_a_socket_that_left_and_unsubscribes_with_the_last(rooms):
    room, _ = rooms
    hub = RoomHub()
    staying, leaving = Socket(), Socket()
    await hub.join(room, staying)
    gone = await hub.join(room, leaving)
    await subscribed(room)
    hub.leave(room, gone)
    await hub.publish(room, "after")
    await until(lambda: staying.texts == ["after"])
    assert leaving.messages == []
    hub.leave(room, next(iter(hub.rooms[room])))
    assert not hub.listening(room)
    await until(lambda: hub._pubsub is None)
    await subscribed(room, count=0)  # the connection's close reaches Redis a moment later


async def test_it_closes_a_socket_that_falls_behind_without_holding_up_the_room(settings, rooms):
    room, _ = rooms
    settings.LIVE_CHAT_SOCKET_BACKLOG = 3
    hub = RoomHub()
    slow, fast = Socket(), Socket()
    await hub.join(room, slow)
    fast_listener = await hub.join(room, fast)
    await subscribed(room)
    slow.stall()  # its first frame waits for the transport; the next 3 queue; the 5th overflows
    for n in range(8):
        await hub.publish(room, f"m{n}")
    await until(lambda: len(fast.texts) == 8)
    assert fast.texts == [f"m{n}" for n in range(8)]
    await until(lambda: slow.close_codes == [TRY_AGAIN_LATER])
    assert slow.texts == ["m0"]
    assert hub.rooms[room] == {fast_listener}


async def test_it_finishes_a_send_that_waited_and_keeps_the_order(rooms):
    room, _ = rooms
    hub = RoomHub()
    socket = Socket()
    await hub.join(room, socket)
    await subscribed(room)
    socket.stall()
    await hub.publish(room, "first")
    await until(lambda: socket.texts == ["first"])
    await hub.publish(room, "second")
    await hub.publish(room, "third")
    await asyncio.sleep(0.1)
    assert socket.texts == ["first"]  # the rest wait behind the stalled send
    socket.stalled.set()
    socket.stalled = None
    await until(lambda: socket.texts == ["first", "second", "third"])
    await hub.publish(room, "fourth")
    await until(lambda: socket.texts[-1] == "fourth")


async def test_it_closes_its_sockets_with_1013_when_redis_goes_away_and_subscribes_again_after(outage_redis, rooms):
    room, _ = rooms
    hub = RoomHub()
    sockets = [Socket(), Socket()]
    for socket in sockets:
        await hub.join(room, socket)
    await subscribed(room)
    outage_redis.kill()
    await until(lambda: all(s.close_codes == [TRY_AGAIN_LATER] for s in sockets))
    assert not hub.listening(room)
    outage_redis.start()
    again = Socket()
    await hub.join(room, again)
    await subscribed(room)
    await hub.publish(room, "back")
    await until(lambda: again.texts == ["back"])


async def test_it_closes_its_sockets_with_1013_when_redis_stops_answering(outage_redis, settings, rooms):
    room, _ = rooms
    settings.LIVE_CHAT_SUBSCRIPTION_CHECK_S = 0.2
    hub = RoomHub()
    socket = Socket()
    await hub.join(room, socket)
    await subscribed(room)
    await asyncio.sleep(0.5)  # quiet, and answering its PINGs: still listening
    assert hub.listening(room) and socket.close_codes == []
    outage_redis.freeze()
    try:
        await until(lambda: socket.close_codes == [TRY_AGAIN_LATER], timeout=2)
        assert not hub.listening(room)
    finally:
        outage_redis.thaw()


@pytest.mark.django_db(transaction=True)
async def test_it_closes_a_chat_socket_with_1013_when_redis_is_down(outage_redis):
    stream = await database_sync_to_async(StreamFactory)(owner=await database_sync_to_async(UserFactory)())
    outage_redis.kill()
    communicator = WebsocketCommunicator(application, f"/ws/live/{stream.pk}/chat/")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": TRY_AGAIN_LATER}

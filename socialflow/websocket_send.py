"""The ASGI server's ``send`` for consumers that write the same frame to many sockets.

Between the server and a consumer, the middlewares wrap ``send``: the session middleware looks at
the session on every message. A chat room writes one frame to thousands of sockets, and those
checks cost more than the write itself, yet a ``websocket.send`` of an already-encoded frame needs
none of them. ``scope[FRAME_SEND]`` is the send from just inside the dependency guard (which still
sees every message); consumers use it for room frames only, everything else goes through the stack.
"""

FRAME_SEND = "socialflow.frame_send"


class FrameSendScope:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, FRAME_SEND: send}, receive, send)

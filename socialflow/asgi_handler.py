"""Django's ASGI handler with each request's middleware chain and view run in ONE worker thread.

Django's own handler builds the middleware chain in async mode: every middleware that is only
sync (ours, WhiteNoise) and every ``MiddlewareMixin`` answering in async mode, and the sync view
inside, each cross between the event loop and the request's worker thread, several switches a
request, each a scheduler wake-up on a busy machine. Every view and middleware here is sync, so
this handler loads the chain in sync mode (as under WSGI) and enters the worker thread once.
Async views still work (Django's sync path runs them with ``async_to_sync``); requests stay
isolated per thread as before (``ThreadSensitiveContext`` per request, set up by the base class).
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        BaseHandler.__init__(self)  # not ASGIHandler's, which builds the async chain
        self.load_middleware(is_async=False)

    async def get_response_async(self, request):
        # BaseHandler.get_response: URL conf, the chain, resource closers, logging of 4xx/5xx.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

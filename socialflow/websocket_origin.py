"""Websocket origin checks that protect browsers without locking out native clients."""

from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    """Like Channels' ``AllowedHostsOriginValidator``, but a handshake with no ``Origin`` passes.

    Browsers always send ``Origin``, so cross-site pages riding on the session cookie are still
    refused; mobile apps and scripts authenticate with ``?token=`` and send no Origin at all.
    """

    def __init__(self, application):
        allowed_hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed_hosts:
            allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed_hosts)

    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)

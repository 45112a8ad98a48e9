"""What the lean ASGI paths (``heartbeat_app``, ``tus_app``, ``read_app``) share: the request as
they read it, the check that Django would answer it plainly too, and the headers Django's
middleware would put on the answer."""

import uuid

from django.conf import settings
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host

from socialflow.api.anonymous_cache import accepts_plain_json


class LeanRequest:
    """What a lean path reads of an ASGI request: headers lower-cased, and whether one of
    ``relevant`` came twice (Django would read the last; a lean path leaves such a request to it)."""

    relevant: tuple[bytes, ...] = ()

    def __init__(self, scope):
        self.scope = scope
        self.headers: dict[bytes, bytes] = {}
        self.repeated = False
        for name, value in scope.get("headers") or []:
            if name in self.headers and name in self.relevant:
                self.repeated = True
            self.headers[name] = value

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def scheme(self) -> str:
        """As Django's ``request.scheme``: ``SECURE_PROXY_SSL_HEADER`` first, else the server's."""
        if settings.SECURE_PROXY_SSL_HEADER:
            name, secure_value = settings.SECURE_PROXY_SSL_HEADER
            value = self.header(name.removeprefix("HTTP_").lower().replace("_", "-").encode())
            if value is not None:
                return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
        return self.scope.get("scheme") or "http"

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    def redirect_due(self) -> bool:
        """``SecurityMiddleware`` would redirect it to HTTPS."""
        return settings.SECURE_SSL_REDIRECT and not self.secure


def answered_plainly(request) -> bool:
    """A JSON (or any) ``Accept``, no session cookie (session auth and its CSRF check stay Django's),
    no forwarded host Django would read, and a host ``ALLOWED_HOSTS`` allows. ``request`` has
    ``headers`` (lower-cased bytes names) and ``header(name) -> str | None``."""
    if not accepts_plain_json(request.header(b"accept")):
        return False
    if settings.SESSION_COOKIE_NAME in parse_cookie(request.header(b"cookie") or ""):
        return False
    if settings.USE_X_FORWARDED_HOST and b"x-forwarded-host" in request.headers:
        return False
    domain, _ = split_domain_port(request.header(b"host") or "")
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def middleware_headers(request: LeanRequest, *, allow: bytes) -> list[tuple[bytes, bytes]]:
    """The headers DRF (``Vary``, ``Allow``) and Django's middleware (clickjacking, security,
    request id) put on an API answer, in their order."""
    headers = [(b"vary", b"Accept, Cookie"), (b"allow", allow)]
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.encode()))
    if settings.SECURE_HSTS_SECONDS and request.secure:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append((b"strict-transport-security", hsts.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        headers.append((b"referrer-policy", (policy if isinstance(policy, str) else ",".join(policy)).encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    guid_header = settings.DJANGO_GUID["GUID_HEADER_NAME"]
    request_id = request.header(guid_header.lower().encode()) or uuid.uuid4().hex
    headers.append((guid_header.encode(), request_id.encode("latin-1")))
    return headers

"""What the lean ASGI paths (``heartbeat_app``, ``tus_app``) both check before answering a request
ahead of Django: that Django would answer it plainly too."""

from django.conf import settings
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host

PLAIN_ACCEPT = ("*/*", "application/*", "application/json")


def answered_plainly(request) -> bool:
    """A JSON (or any) ``Accept``, no session cookie (session auth and its CSRF check stay Django's),
    no forwarded host Django would read, and a host ``ALLOWED_HOSTS`` allows. ``request`` has
    ``headers`` (lower-cased bytes names) and ``header(name) -> str | None``."""
    accept = request.header(b"accept")
    if accept is not None and any(part.strip() not in PLAIN_ACCEPT for part in accept.split(",")):
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

"""The viewer's country for this request: territorial rules (copyright blocks) read it here.

``ViewerCountryMiddleware`` copies the country a trusted edge put in a request header
(``VIEWER_COUNTRY_HEADER``, Cloudflare's ``CF-IPCountry`` by default; ISO 3166-1 alpha-2) into a
context variable; ``viewer_country()`` returns it, or ``None`` when unknown (no header, a value
that is not two letters, a Celery task, a management command). Nothing in here imports a domain app.
"""

from contextvars import ContextVar

from django.conf import settings

_country: ContextVar[str | None] = ContextVar("viewer_country", default=None)


def normalise(value: str | None) -> str | None:
    value = (value or "").strip().upper()
    return value if len(value) == 2 and value.isascii() and value.isalpha() and value != "XX" else None


def viewer_country() -> str | None:
    return _country.get()


def set_viewer_country(country: str | None):
    """Set it for the current context (tests, tasks acting for a viewer); returns a reset token."""
    return _country.set(normalise(country))


def reset_viewer_country(token) -> None:
    _country.reset(token)


class ViewerCountryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.meta_key = "HTTP_" + settings.VIEWER_COUNTRY_HEADER.upper().replace("-", "_")

    def __call__(self, request):
        token = _country.set(normalise(request.META.get(self.meta_key)))
        try:
            return self.get_response(request)
        finally:
            _country.reset(token)

"""Domain exceptions: what services raise when a request cannot be carried out.

Services know nothing of HTTP. The API maps these to its error format in one place
(``socialflow.api.exceptions``); Studio views and admin actions catch the same classes and show
``message`` to the person. Each class carries a stable ``code`` clients can switch on.
"""


class DomainError(Exception):
    """Base class. ``message`` is safe to show to the user; ``code`` is a stable identifier."""

    default_message = "The request could not be carried out."
    default_code = "error"

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        # When set, the API reports the error as a field error: {"<field>": ["<message>"]}.
        self.field = field
        super().__init__(self.message)


class InvalidInput(DomainError):
    """The input is well-formed but not acceptable (400).

    ``field=`` names the one field the message is about; ``errors=`` gives several fields their
    messages at once (``{"password": ["Too short.", "Too common."], "email": [...]}``).
    """

    default_message = "Invalid input."
    default_code = "invalid"

    def __init__(self, message: str | None = None, *, errors: dict[str, list[str]] | None = None, **kwargs):
        self.errors = {name: list(messages) for name, messages in (errors or {}).items() if messages}
        if message is None and self.errors:
            message = next(iter(self.errors.values()))[0]
        super().__init__(message, **kwargs)

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Every message by field (``errors=``, or the one ``field=``); empty for a general error."""
        if self.errors:
            return self.errors
        return {self.field: [self.message]} if self.field else {}


class Unauthenticated(DomainError):
    """The credentials or token presented do not prove who the caller is (401)."""

    default_message = "Incorrect authentication credentials."
    default_code = "authentication_failed"


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does (404)."""

    default_message = "Not found."
    default_code = "not_found"


class PermissionDenied(DomainError):
    """The caller may see the object but not do this to it (403)."""

    default_message = "You do not have permission to perform this action."
    default_code = "permission_denied"


class Conflict(DomainError):
    """The request conflicts with the object's current state (409)."""

    default_message = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class TooLarge(DomainError):
    """The payload is larger than allowed (413)."""

    default_message = "The request body is too large."
    default_code = "too_large"


class UnsupportedMedia(DomainError):
    """The file's type is not one we accept (415)."""

    default_message = "Unsupported media type."
    default_code = "unsupported_media_type"


class RateLimited(DomainError):
    """A per-action limit (posts per 3 h, follows per day) was reached (429)."""

    default_message = "Too many requests of this kind; try again later."
    default_code = "rate_limited"

    def __init__(self, message: str | None = None, *, wait_s: float | None = None, **kwargs):
        self.wait_s = wait_s
        super().__init__(message, **kwargs)


class Unavailable(DomainError):
    """A dependency (cache, broker, payment provider) is down or not configured (503)."""

    default_message = "This service is temporarily unavailable."
    default_code = "service_unavailable"

    def __init__(self, message: str | None = None, *, retry_after_s: int | None = None, **kwargs):
        self.retry_after_s = retry_after_s
        super().__init__(message, **kwargs)

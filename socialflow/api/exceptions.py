"""One error format for the whole API: ``{"detail": "...", "code": "..."}`` or field errors.

Bad input is never a 500: oversize bodies become 413, Django's own Http404/PermissionDenied and
validation errors are mapped to their DRF counterparts.
"""

import logging

from django.conf import settings
from django.core import exceptions as django_exceptions
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from socialflow.core import exceptions as domain
from socialflow.redis import REDIS_DOWN_ERRORS

logger = logging.getLogger(__name__)


class ActionRateLimited(exceptions.Throttled):
    """A per-action limit (posts per 3 h, follows per day), distinct from request throttling."""

    default_code = "rate_limited"


_DOMAIN_STATUS = {
    domain.InvalidInput: status.HTTP_400_BAD_REQUEST,
    domain.Unauthenticated: status.HTTP_401_UNAUTHORIZED,
    domain.NotFound: status.HTTP_404_NOT_FOUND,
    domain.PermissionDenied: status.HTTP_403_FORBIDDEN,
    domain.Conflict: status.HTTP_409_CONFLICT,
    domain.TooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    domain.UnsupportedMedia: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    domain.RateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
    domain.Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def _unauthenticated(exc: domain.Unauthenticated, context) -> exceptions.APIException:
    """401 with the view's challenge, or 403 when the view has none: what DRF's
    ``APIView.handle_exception`` does for its own AuthenticationFailed (it never sees ours)."""
    api_exc = exceptions.AuthenticationFailed(detail=exc.message, code=exc.code)
    view, request = context.get("view"), context.get("request")
    challenge = view.get_authenticate_header(request) if view is not None and request is not None else None
    if challenge:
        api_exc.auth_header = challenge
    else:
        api_exc.status_code = status.HTTP_403_FORBIDDEN
    return api_exc


def _from_domain(exc: domain.DomainError, context) -> exceptions.APIException:
    """A service's domain exception as the API error it stands for."""
    if isinstance(exc, domain.Unauthenticated):
        return _unauthenticated(exc, context)
    if isinstance(exc, domain.RateLimited):
        return ActionRateLimited(wait=exc.wait_s, detail=exc.message)
    if isinstance(exc, domain.InvalidInput) and exc.field_errors:
        return exceptions.ValidationError(exc.field_errors, code=exc.code)
    if exc.field:
        return exceptions.ValidationError({exc.field: [exc.message]}, code=exc.code)
    status_code = next(
        (code for cls, code in _DOMAIN_STATUS.items() if isinstance(exc, cls)), status.HTTP_400_BAD_REQUEST
    )
    api_exc = exceptions.APIException(detail=exc.message, code=exc.code)
    api_exc.status_code = status_code
    # Facts a client acts on (a quota's plan, limit and upgrade link) beside detail and code.
    api_exc.extra = dict(getattr(exc, "extra", None) or {})
    if isinstance(exc, domain.Unavailable) and exc.retry_after_s:
        api_exc.wait = exc.retry_after_s
    return api_exc


def _translate(exc, context):
    if isinstance(exc, REDIS_DOWN_ERRORS):
        # Redis (cache, broker, channel layer) down or frozen: the request may be retried.
        logger.warning("dependency unavailable: %s: %s", type(exc).__name__, exc)
        exc = domain.Unavailable(retry_after_s=settings.DEPENDENCY_RETRY_AFTER_S)
    if isinstance(exc, domain.DomainError):
        return _from_domain(exc, context)
    if isinstance(exc, RequestDataTooBig):
        return _from_domain(domain.TooLarge(), context)
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ValidationError({"detail": "Too many fields."}, code="too_many_fields")
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, django_exceptions.PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, django_exceptions.ObjectDoesNotExist):
        return exceptions.NotFound()
    if isinstance(exc, django_exceptions.ValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"detail": exc.messages})
    return exc


def _text(detail) -> str:
    return " ".join(str(item) for item in detail) if isinstance(detail, list) else str(detail)


def exception_handler(exc, context):
    exc = _translate(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"} and isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes.get("detail") if isinstance(codes, dict) else codes
        if isinstance(code, list):
            code = code[0] if code else exc.default_code
        response.data = {"detail": _text(data["detail"]), "code": code or exc.default_code}
        response.data.update({k: v for k, v in getattr(exc, "extra", {}).items() if k not in response.data})
    elif isinstance(data, dict) and {"detail", "code"} <= set(data):
        # simplejwt adds a "messages" list per token class: internals, not part of the format.
        response.data = {"detail": _text(data["detail"]), "code": str(data["code"])}
    elif isinstance(data, list):
        response.data = {"detail": " ".join(str(item) for item in data), "code": "invalid"}
    wait = getattr(exc, "wait", None)
    if wait is not None and (isinstance(exc, exceptions.Throttled) or response.status_code == 503):
        response["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response

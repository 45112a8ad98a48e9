"""Services raise domain exceptions; the API shows each in its one error format."""

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from socialflow.core import exceptions as domain


def _answer(exc):
    class Raising(APIView):
        authentication_classes: list = []
        permission_classes: list = []
        throttle_classes: list = []

        def get(self, request):
            raise exc

    return Raising.as_view()(APIRequestFactory().get("/api/v1/x"))


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (domain.InvalidInput("Bad."), 400, "invalid"),
        (domain.NotFound(), 404, "not_found"),
        (domain.PermissionDenied("No.", code="not_owner"), 403, "not_owner"),
        (domain.Conflict("Taken."), 409, "conflict"),
        (domain.TooLarge(), 413, "too_large"),
        (domain.UnsupportedMedia(), 415, "unsupported_media_type"),
        (domain.Unavailable(), 503, "service_unavailable"),
    ],
)
def test_it_maps_each_domain_error_to_its_status_and_code(exc, status, code):
    response = _answer(exc)
    assert response.status_code == status
    assert response.data == {"detail": exc.message, "code": code}


def test_it_reports_a_field_error_under_the_field():
    response = _answer(domain.InvalidInput("Too long.", field="text", code="too_long"))
    assert response.status_code == 400
    assert response.data == {"text": ["Too long."]}


def test_it_tells_when_to_retry_a_rate_limit_and_an_outage():
    limited = _answer(domain.RateLimited("Slow down.", wait_s=12.2))
    assert limited.status_code == 429
    assert limited["Retry-After"] == "13"
    assert limited.data["code"] == "rate_limited"
    down = _answer(domain.Unavailable(retry_after_s=5))
    assert down.status_code == 503
    assert down["Retry-After"] == "5"


def test_it_answers_unauthenticated_with_the_views_challenge_like_drf():
    class Challenging(APIView):
        authentication_classes: list = []
        permission_classes: list = []
        throttle_classes: list = []

        def get_authenticate_header(self, request):
            return 'Bearer realm="api"'

        def get(self, request):
            raise domain.Unauthenticated("Bad token.", code="token_not_valid")

    response = Challenging.as_view()(APIRequestFactory().get("/api/v1/x"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.data == {"detail": "Bad token.", "code": "token_not_valid"}
    # Without a challenge to offer, DRF answers its own AuthenticationFailed with 403: so do we.
    assert _answer(domain.Unauthenticated()).status_code == 403


def test_it_reports_several_field_errors_at_once():
    exc = domain.InvalidInput(errors={"password": ["Too short.", "Too common."], "email": ["Taken."], "bio": []})
    assert exc.message == "Too short."
    response = _answer(exc)
    assert response.status_code == 400
    assert response.data == {"password": ["Too short.", "Too common."], "email": ["Taken."]}

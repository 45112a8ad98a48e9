import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_it_reports_health_of_every_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"db", "cache", "broker", "storage"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_it_answers_liveness_and_readiness(client):
    assert client.get("/livez").json() == {"status": "alive"}
    assert client.get("/readyz").status_code == 200


def test_it_reports_not_ready_when_a_dependency_fails(client, monkeypatch):
    from socialflow import health

    def broken():
        raise ConnectionError("broker down")

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "error"


def test_it_keeps_failure_details_out_of_the_public_health_answer(client, monkeypatch, caplog):
    from socialflow import health

    def broken():
        raise ConnectionError("amqp://admin:hunter2@10.1.2.3:5672 refused")

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"status": "error", "error": "ConnectionError"}
    assert "hunter2" not in response.content.decode()
    assert "hunter2" in caplog.text


@pytest.mark.parametrize("path", ["/healthz/", "/livez/", "/readyz/"])
def test_it_answers_health_probes_with_a_trailing_slash(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/users/" + "a" * 40, "/api/v9/me"])
def test_it_answers_unknown_api_paths_with_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_it_keeps_html_404_pages_outside_the_api(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_it_answers_an_api_crash_with_json_500(client, monkeypatch):
    from accounts.api import views

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "user_profile_get", crash)
    client.raise_request_exception = False
    response = client.get("/api/v1/users/alice")
    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred.", "code": "server_error"}


def test_it_generates_a_request_id(client):
    response = client.get("/livez")
    assert len(response["X-Request-ID"]) >= 16


def test_it_echoes_the_callers_request_id(client):
    response = client.get("/livez", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_it_hands_the_request_id_to_the_tasks_it_queues():
    from celery.signals import before_task_publish
    from django_guid import clear_guid, set_guid

    set_guid("req-42")
    try:
        headers: dict = {}
        before_task_publish.send(sender="accounts.tasks.send_password_reset", headers=headers, body=None)
    finally:
        clear_guid()
    assert headers["X-Request-ID"] == "req-42"


def test_it_serves_the_openapi_schema_and_docs(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/schema").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from our own static files (pinned, works offline), not a CDN
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs.content
    assert b"cdn.jsdelivr.net" not in docs.content


def test_it_lists_each_endpoint_once_whatever_its_slash_forms(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert "/api/v1/uploads" in paths and "/api/v1/auth/token" in paths
    twins = [p for p in paths if p.endswith("/") and p.rstrip("/") in paths]
    assert twins == []
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))


def test_it_names_shared_choice_sets_stably(client):
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    assert {"VideoVisibilityEnum", "VideoStatusEnum", "StreamStatusEnum"} <= set(schemas)


def test_it_exposes_prometheus_metrics(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests" in response.content


def test_it_serves_media_with_range_requests(client, settings, tmp_path):
    media = tmp_path / "m"
    (media / "v").mkdir(parents=True)
    (media / "v" / "index.m3u8").write_bytes(b"#EXTM3U\n0123456789")
    settings.MEDIA_ROOT = media

    full = client.get("/media/v/index.m3u8")
    assert full.status_code == 200
    assert full["Content-Type"] == "application/vnd.apple.mpegurl"
    assert full["Accept-Ranges"] == "bytes"

    assert full.is_async, "large files must stream, not be read into memory under ASGI"
    assert b"".join(full) == b"#EXTM3U\n0123456789"

    part = client.get("/media/v/index.m3u8", HTTP_RANGE="bytes=8-11")
    assert part.status_code == 206
    assert b"".join(part) == b"0123"
    assert part["Content-Range"] == "bytes 8-11/18"

    assert client.get("/media/v/index.m3u8", HTTP_RANGE="bytes=100-").status_code == 416
    assert client.get("/media/../secret_key").status_code == 404
    assert client.get("/media/v/missing.ts").status_code == 404


@pytest.mark.parametrize("name", ["original.html", "x.svg", "x.js", "x.xhtml", "noext"])
def test_it_never_serves_uploaded_media_as_a_page(client, settings, tmp_path, name):
    (tmp_path / name).write_bytes(b"<script>alert(document.cookie)</script>")
    settings.MEDIA_ROOT = tmp_path
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.m3u8", "application/vnd.apple.mpegurl"),
        ("a.ts", "video/mp2t"),
        ("a.jpg", "image/jpeg"),
        ("a.vtt", "text/vtt"),
    ],
)
def test_it_serves_playable_media_inline(client, settings, tmp_path, name, content_type):
    (tmp_path / name).write_bytes(b"data")
    settings.MEDIA_ROOT = tmp_path
    response = client.get(f"/media/{name}")
    assert response["Content-Type"] == content_type
    assert not response.get("Content-Disposition", "").startswith("attachment")


def test_it_keeps_the_landing_page_public_and_studio_private(client):
    assert client.get("/").status_code == 200
    response = client.get("/studio/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_it_answers_413_for_an_oversized_json_body():
    # Any JSON endpoint: the body is refused before a view sees it.
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    class Echo(APIView):
        permission_classes = [AllowAny]

        def post(self, request):
            return Response(request.data)

    request = APIRequestFactory().post("/x", {"text": "x" * 500}, format="json")
    response = Echo.as_view()(request)
    assert response.status_code == 413
    assert response.data["code"] == "too_large"


def _raising_view(exc):
    from rest_framework.permissions import AllowAny
    from rest_framework.views import APIView

    class Raises(APIView):
        permission_classes = [AllowAny]

        def get(self, request):
            raise exc

    return Raises.as_view()


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (__import__("django.core.exceptions").core.exceptions.ValidationError("Bad thing."), "invalid"),
        (__import__("django.core.exceptions").core.exceptions.TooManyFieldsSent("x"), "too_many_fields"),
    ],
)
def test_it_answers_non_field_errors_with_a_string_detail(exc, code):
    from rest_framework.test import APIRequestFactory

    response = _raising_view(exc)(APIRequestFactory().get("/x"))
    assert response.status_code == 400
    assert isinstance(response.data["detail"], str) and response.data["code"] == code


def test_it_answers_a_bad_bearer_token_in_the_error_format(client):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer junk")
    assert response.status_code == 401
    assert response.json() == {"detail": "Given token not valid for any token type", "code": "token_not_valid"}


def test_it_routes_router_viewsets_in_both_slash_forms():
    from django.urls import resolve
    from rest_framework import viewsets
    from rest_framework.response import Response

    from socialflow.api.routers import OptionalSlashRouter

    class Things(viewsets.ViewSet):
        def list(self, request):
            return Response([])

        def retrieve(self, request, pk=None):
            return Response({})

    router = OptionalSlashRouter()
    router.register("things", Things, basename="thing")
    patterns = router.urls
    for url in ("things", "things/", "things/1", "things/1/"):
        assert any(p.pattern.match(url) for p in patterns), url
    assert resolve("/api/v1/auth/token").url_name == resolve("/api/v1/auth/token/").url_name == "auth-token"

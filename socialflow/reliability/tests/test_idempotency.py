import base64
from datetime import timedelta
from unittest import mock

import pytest
import redis
import time_machine
from django.utils import timezone

from live.models import Stream
from posts.models import Post
from socialflow.reliability.models import IdempotencyKey
from socialflow.reliability.tasks import prune_idempotency_keys
from videos.models import Comment, Playlist, Upload
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _post(client, text: str, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/posts", {"text": text}, **headers)


def test_it_returns_the_first_response_to_a_retry_with_the_same_key(alice_client):
    first = _post(alice_client, "once")
    again = _post(alice_client, "once")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Post.objects.count() == 1


def test_it_refuses_the_same_key_with_a_different_body(alice_client):
    assert _post(alice_client, "once").status_code == 201
    response = _post(alice_client, "something else")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_mismatch"
    assert Post.objects.count() == 1


def test_it_refuses_the_same_key_on_another_endpoint(alice_client):
    assert _post(alice_client, "once").status_code == 201
    response = alice_client.post("/api/v1/playlists", {"title": "once"}, HTTP_IDEMPOTENCY_KEY="key-1")
    assert response.status_code == 422
    assert not Playlist.objects.exists()


def test_it_keeps_keys_per_user(alice_client, bob_client):
    assert _post(alice_client, "same").status_code == 201
    assert _post(bob_client, "same").status_code == 201
    assert Post.objects.count() == 2


def test_it_does_not_record_a_failed_request(alice_client):
    assert _post(alice_client, "x" * 10_000).status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert _post(alice_client, "fixed").status_code == 201


def test_it_refuses_an_unusable_key(alice_client):
    assert _post(alice_client, "hi", key="k" * 256).status_code == 400
    assert not Post.objects.exists()


def test_it_rolls_the_write_back_when_the_request_fails_after_it(alice_client):
    # The post is written, then reading it back hits a Redis outage: a 503 and no post (with or
    # without a key), so a retry cannot duplicate it.
    with mock.patch("posts.api.views.selectors.post_get_visible", side_effect=redis.ConnectionError("down")):
        assert _post(alice_client, "half", key=None).status_code == 503
        assert _post(alice_client, "half").status_code == 503
    assert not Post.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_it_replays_comments_playlists_and_streams(alice_client):
    video = VideoFactory()
    for url, body, model in [
        (f"/api/v1/videos/{video.pk}/comments", {"text": "nice"}, Comment),
        ("/api/v1/playlists", {"title": "mix"}, Playlist),
        ("/api/v1/live/streams", {"title": "show"}, Stream),
    ]:
        key = f"key-{model.__name__}"
        first = alice_client.post(url, body, HTTP_IDEMPOTENCY_KEY=key)
        again = alice_client.post(url, body, HTTP_IDEMPOTENCY_KEY=key)
        assert first.status_code == again.status_code == 201, url
        assert again.json() == first.json()
        assert model.objects.count() == 1, url


def test_it_replays_a_tus_creation_with_its_location(alice_client):
    metadata = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in {"filename": "a.mp4"}.items())
    headers = {
        "HTTP_TUS_RESUMABLE": "1.0.0",
        "HTTP_UPLOAD_LENGTH": "10",
        "HTTP_UPLOAD_METADATA": metadata,
        "HTTP_IDEMPOTENCY_KEY": "tus-1",
    }
    first = alice_client.post("/api/v1/uploads", **headers)
    again = alice_client.post("/api/v1/uploads", **headers)
    assert first.status_code == again.status_code == 201
    assert again["Location"] == first["Location"]
    assert Upload.objects.count() == 1
    other = alice_client.post("/api/v1/uploads", **{**headers, "HTTP_UPLOAD_LENGTH": "11"})
    assert other.status_code == 422


def test_it_prunes_expired_keys(alice_client, settings):
    assert _post(alice_client, "old").status_code == 201
    with time_machine.travel(timezone.now() + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS, minutes=1)):
        assert prune_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()


def test_it_documents_the_header_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ["/api/v1/posts", "/api/v1/playlists", "/api/v1/live/streams", "/api/v1/uploads", "/api/v1/videos"]:
        names = [p["name"] for p in schema["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path

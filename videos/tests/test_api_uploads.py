"""tus 1.0 uploads through the API: creation, HEAD, PATCH, resume, errors, ownership."""

import base64

import pytest

from videos.models import Upload, Video

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def meta(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(client, length: int, **metadata):
    return client.post(
        "/api/v1/uploads/",
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=meta(filename="clip.mp4", **metadata),
        **TUS,
    )


def patch(client, location: str, offset: int, body: bytes, content_type="application/offset+octet-stream"):
    return client.generic(
        "PATCH", location, data=body, content_type=content_type, HTTP_UPLOAD_OFFSET=str(offset), **TUS
    )


def test_it_advertises_tus_in_options(api_client):
    response = api_client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert "creation" in response["Tus-Extension"]
    assert int(response["Tus-Max-Size"]) > 0


def test_it_creates_an_upload_and_a_video(alice_client, alice):
    response = create(alice_client, 100, title="My trip")
    assert response.status_code == 201
    assert response["Tus-Resumable"] == "1.0.0"
    assert "/api/v1/uploads/" in response["Location"]
    upload = Upload.objects.get()
    assert upload.length == 100 and upload.offset == 0
    video = Video.objects.get(pk=response["Video-Id"])
    assert video.title == "My trip" and video.status == "uploading"
    alice.refresh_from_db()
    assert alice.videos_count == 0  # the channel shows it once it is ready


def test_it_accepts_the_path_without_a_slash(alice_client):
    response = alice_client.post("/api/v1/uploads", HTTP_UPLOAD_LENGTH="10", **TUS)
    assert response.status_code == 201


def test_it_requires_authentication(api_client):
    assert create(api_client, 10).status_code == 401


def test_it_requires_tus_resumable(alice_client):
    response = alice_client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="10")
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    response = alice_client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="10", HTTP_TUS_RESUMABLE="0.2.2")
    assert response.status_code == 412


def test_it_rejects_oversize_uploads(alice_client, settings):
    settings.VIDEO_MAX_UPLOAD_BYTES = 1000
    response = create(alice_client, 1001)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Upload.objects.exists()


def test_it_rejects_bad_headers(alice_client):
    assert alice_client.post("/api/v1/uploads/", **TUS).status_code == 400
    assert alice_client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="-5", **TUS).status_code == 400
    response = alice_client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="5", HTTP_UPLOAD_METADATA="title !!!", **TUS)
    assert response.status_code == 400


def test_it_rejects_non_ascii_digits_in_integer_headers(alice_client):
    # "\xb2" (a latin-1 header byte) is "²": str.isdigit() says yes, int() raised a 500.
    assert alice_client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="\xb2", **TUS).status_code == 400
    location = create(alice_client, 10)["Location"]
    response = alice_client.patch(
        location, b"x", content_type="application/offset+octet-stream", HTTP_UPLOAD_OFFSET="\xb2", **TUS
    )
    assert response.status_code == 400


@pytest.mark.parametrize("key", ["title", "filename", "description", "filetype"])
def test_it_rejects_null_characters_in_metadata(alice_client, key):
    response = alice_client.post(
        "/api/v1/uploads/", HTTP_UPLOAD_LENGTH="5", HTTP_UPLOAD_METADATA=meta(**{key: "a\x00b"}), **TUS
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_metadata"
    assert not Upload.objects.exists() and not Video.objects.exists()


def test_it_appends_chunks_and_reports_the_offset(alice_client):
    location = create(alice_client, 10)["Location"]
    response = patch(alice_client, location, 0, b"hello")
    assert response.status_code == 204
    assert response["Upload-Offset"] == "5"
    head = alice_client.head(location, **TUS)
    assert head.status_code == 200
    assert head["Upload-Offset"] == "5" and head["Upload-Length"] == "10"
    assert head["Cache-Control"] == "no-store"


def test_it_answers_409_on_a_wrong_offset(alice_client):
    location = create(alice_client, 10)["Location"]
    patch(alice_client, location, 0, b"hello")
    response = patch(alice_client, location, 3, b"xxxxx")
    assert response.status_code == 409
    assert Upload.objects.get().offset == 5


def test_it_answers_415_on_a_wrong_content_type(alice_client):
    location = create(alice_client, 10)["Location"]
    response = patch(alice_client, location, 0, b"hello", content_type="application/json")
    assert response.status_code == 415


def test_it_rejects_a_body_past_the_length(alice_client):
    location = create(alice_client, 4)["Location"]
    assert patch(alice_client, location, 0, b"hello").status_code == 413


def test_it_hides_uploads_from_other_users(alice_client, bob_client):
    location = create(alice_client, 10)["Location"]
    assert bob_client.head(location, **TUS).status_code == 404
    assert patch(bob_client, location, 0, b"hello").status_code == 404
    assert Upload.objects.get().offset == 0


def test_it_resumes_after_a_restart(alice_client, alice, settings):
    """The offset lives in the database and the bytes in a file: a new process carries on."""
    data = bytes(range(256)) * 4
    location = create(alice_client, len(data))["Location"]
    patch(alice_client, location, 0, data[:300])
    # A "restart": nothing in memory survives; only the DB row and the file remain.
    from django.core.cache import cache

    from conftest import bearer_client

    cache.clear()
    client = bearer_client(alice)
    head = client.head(location, **TUS)
    assert head["Upload-Offset"] == "300"
    response = patch(client, location, 300, data[300:])
    assert response.status_code == 204
    upload = Upload.objects.get()
    assert upload.completed_at is not None
    video = Video.objects.get(pk=response["Video-Id"])
    assert video.status == "processing"
    from django.core.files.storage import default_storage

    with default_storage.open(video.source_name, "rb") as handle:
        assert handle.read() == data


def test_it_discards_unacknowledged_bytes(alice_client):
    """Bytes written past the committed offset (a request that died) are dropped on the next PATCH."""
    from videos.services.uploads import upload_path

    location = create(alice_client, 10)["Location"]
    patch(alice_client, location, 0, b"abc")
    upload = Upload.objects.get()
    with open(upload_path(upload), "ab") as handle:
        handle.write(b"garbage")
    patch(alice_client, location, 3, b"defghij")
    upload.refresh_from_db()
    assert upload.is_complete


@pytest.mark.slow
def test_it_turns_a_complete_upload_into_a_ready_video(alice_client, make_clip, django_capture_on_commit_callbacks):
    data = make_clip().read_bytes()
    location = create(alice_client, len(data), title="Clip")["Location"]
    half = len(data) // 2
    assert patch(alice_client, location, 0, data[:half]).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        response = patch(alice_client, location, half, data[half:])
    assert response.status_code == 204
    assert response["Upload-Offset"] == str(len(data))
    video = Video.objects.get(pk=response["Video-Id"])
    assert video.status == "ready", video.error
    assert video.source_size == len(data)
    body = alice_client.get(f"/api/v1/videos/{video.pk}").json()
    assert body["hls_url"].endswith("master.m3u8")
    assert [r["height"] for r in body["renditions"]] == [240]
    # Completed uploads refuse more bytes.
    assert patch(alice_client, location, len(data), b"x").status_code == 409


def test_it_terminates_an_upload(alice_client, alice):
    location = create(alice_client, 10)["Location"]
    response = alice_client.delete(location, **TUS)
    assert response.status_code == 204
    assert not Upload.objects.exists() and not Video.objects.exists()
    alice.refresh_from_db()
    assert alice.videos_count == 0


def test_it_expires_abandoned_uploads(alice_client, alice):
    import time_machine
    from django.utils import timezone

    from videos.tasks import expire_uploads

    location = create(alice_client, 10)["Location"]
    patch(alice_client, location, 0, b"abc")
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
        assert expire_uploads() == 1
    assert not Upload.objects.exists() and not Video.objects.exists()


def test_it_uploads_in_one_multipart_request(alice_client, make_clip, django_capture_on_commit_callbacks):
    path = make_clip()
    with open(path, "rb") as handle, django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = alice_client.post(
            "/api/v1/videos",
            {"file": handle, "title": "Single", "tags": "a, b", "visibility": "unlisted"},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "processing" and body["visibility"] == "unlisted"
    assert body["tags"] == ["a", "b"]
    assert len(callbacks) == 1


def test_it_rejects_multipart_without_a_file(alice_client, api_client):
    assert alice_client.post("/api/v1/videos", {"title": "x"}, format="multipart").status_code == 400
    assert api_client.post("/api/v1/videos", {"title": "x"}, format="multipart").status_code == 401


def test_it_removes_the_spool_when_the_video_is_deleted_mid_upload(alice_client, django_capture_on_commit_callbacks):
    from videos.services.uploads import upload_path

    response = create(alice_client, 10)
    patch(alice_client, response["Location"], 0, b"abc")
    spool = upload_path(Upload.objects.get())
    assert spool.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.delete(f"/api/v1/videos/{response['Video-Id']}").status_code == 204
    assert not spool.exists() and not Upload.objects.exists()
    assert alice_client.head(response["Location"], **TUS).status_code == 404


def test_it_refuses_an_empty_upload(alice_client):
    response = create(alice_client, 0)
    assert response.status_code == 400
    assert response.json()["code"] == "empty_upload"
    assert not Video.objects.exists()


def test_a_patch_on_a_server_without_the_earlier_bytes_answers_409_not_zeros(alice_client, tmp_path, settings):
    """Local mode with an upload dir per web process: the other process winds back instead of padding."""
    data = b"0123456789" * 100
    settings.VIDEO_UPLOAD_DIR = tmp_path / "server-a"
    location = create(alice_client, len(data))["Location"]
    assert patch(alice_client, location, 0, data[:400]).status_code == 204
    settings.VIDEO_UPLOAD_DIR = tmp_path / "server-b"
    response = patch(alice_client, location, 400, data[400:])
    assert response.status_code == 409
    assert response.json()["code"] == "offset_mismatch"
    assert response["Upload-Offset"] == "0"
    assert alice_client.head(location, **TUS)["Upload-Offset"] == "0"
    response = patch(alice_client, location, 0, data)
    assert response.status_code == 204
    from django.core.files.storage import default_storage

    with default_storage.open(Video.objects.get(pk=response["Video-Id"]).source_name, "rb") as handle:
        assert handle.read() == data

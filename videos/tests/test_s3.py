"""S3 mode (django-storages + boto3) against moto: multipart tus uploads, publishing, deletion."""

import os
from urllib.parse import urljoin, urlsplit

import boto3
import pytest
from django.test import Client
from moto import mock_aws

from videos import services
from videos.models import Upload, Video
from videos.tests.factories import VideoFactory
from videos.tests.test_api_uploads import create, patch

BUCKET = "sf-test-media"
MIB = 1024 * 1024


@pytest.fixture
def s3(settings, monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.AWS_STORAGE_BUCKET_NAME = BUCKET
        settings.AWS_S3_REGION_NAME = "us-east-1"
        settings.AWS_ACCESS_KEY_ID = "testing"
        settings.AWS_SECRET_ACCESS_KEY = "testing"
        settings.AWS_QUERYSTRING_AUTH = False
        settings.AWS_S3_FILE_OVERWRITE = True
        settings.USE_S3 = True
        settings.STORAGES = {
            "default": {"BACKEND": "storages.backends.s3.S3Storage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        yield client


def keys(client, prefix=""):
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])}


def test_it_sends_tus_bytes_to_s3_as_multipart(s3, alice_client, django_capture_on_commit_callbacks):
    data = os.urandom(9 * MIB)
    location = create(alice_client, len(data))["Location"]
    upload = Upload.objects.get()
    assert upload.s3_upload_id
    patch(alice_client, location, 0, data[: 4 * MIB])
    patch(alice_client, location, 4 * MIB, data[4 * MIB : 8 * MIB])
    upload.refresh_from_db()
    assert len(upload.s3_parts) == 1 and upload.s3_flushed == 8 * MIB  # a full part went to S3
    with django_capture_on_commit_callbacks(execute=False):
        response = patch(alice_client, location, 8 * MIB, data[8 * MIB :])
    assert response.status_code == 204
    video = Video.objects.get(pk=response["Video-Id"])
    assert video.status == "processing"
    body = s3.get_object(Bucket=BUCKET, Key=video.source_name)["Body"].read()
    assert body == data


def test_it_aborts_s3_uploads_on_termination(s3, alice_client):
    location = create(alice_client, 10 * MIB)["Location"]
    upload_id = Upload.objects.get().s3_upload_id
    assert alice_client.delete(location, HTTP_TUS_RESUMABLE="1.0.0").status_code == 204
    assert upload_id not in {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])}


@pytest.mark.slow
def test_it_transcodes_from_and_to_s3(s3, alice, alice_client, make_clip, django_capture_on_commit_callbacks):
    data = make_clip().read_bytes()
    location = create(alice_client, len(data))["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        response = patch(alice_client, location, 0, data)
    video = Video.objects.get(pk=response["Video-Id"])
    assert video.status == "ready", video.error
    stored = keys(s3, f"videos/{video.pk}/")
    assert video.master_playlist in stored and video.thumbnail in stored and video.preview_vtt in stored
    assert any(k.endswith(".ts") for k in stored)
    body = alice_client.get(f"/api/v1/videos/{video.pk}").json()
    assert body["hls_url"].startswith("https://") and body["hls_url"].endswith("master.m3u8")
    with django_capture_on_commit_callbacks(execute=True):
        services.video_delete(video=video)
    assert keys(s3, f"videos/{video.pk}/") == set()


def test_it_signs_private_media_on_s3(s3, alice, alice_client):
    video = VideoFactory(author=alice, visibility="private")
    prefix = f"videos/{video.pk}/gabc"
    for key, text in {
        f"{prefix}/master.m3u8": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n240p/index.m3u8\n",
        f"{prefix}/240p/index.m3u8": "#EXTM3U\n#EXTINF:4.0,\nseg_000.ts\n#EXT-X-ENDLIST\n",
        f"{prefix}/poster.jpg": "jpeg",
        f"videos/{video.pk}/source/original.mp4": "original",
    }.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())
    video.master_playlist, video.thumbnail = f"{prefix}/master.m3u8", f"{prefix}/poster.jpg"
    video.source_name = f"videos/{video.pk}/source/original.mp4"
    video.save()
    body = alice_client.get(f"/api/v1/videos/{video.pk}").json()
    # Single files: presigned S3 URLs; playlists: the app's signed path, segments presigned inside.
    assert "Signature=" in body["thumbnail_url"] and "Signature=" in body["original_url"]
    master_url = body["hls_url"]
    assert "/media/s/" in master_url

    def get(url):
        parts = urlsplit(url)
        return Client().get(parts.path)

    master = get(master_url)
    assert master.status_code == 200 and master["Cache-Control"] == "private, no-store"
    assert master.content.decode().splitlines()[-1] == "240p/index.m3u8"  # variants come back signed
    variant = get(urljoin(master_url, "240p/index.m3u8"))
    segment_url = variant.content.decode().splitlines()[2]
    assert segment_url.startswith("https://") and "Signature=" in segment_url
    assert get(f"/media/{video.master_playlist}").status_code == 404


def test_a_tus_upload_split_across_two_servers_is_byte_identical(s3, alice_client, tmp_path, settings):
    """Creation and the first half on one web process, the rest on another with its own upload dir."""
    data = os.urandom(9 * MIB + 12345)
    half = 3 * MIB + 7  # below a part: the pending bytes must reach the other process
    settings.VIDEO_UPLOAD_DIR = tmp_path / "server-a"
    location = create(alice_client, len(data))["Location"]
    assert patch(alice_client, location, 0, data[:half]).status_code == 204
    server_b = Client()
    server_b.force_login(Upload.objects.get().user)
    settings.VIDEO_UPLOAD_DIR = tmp_path / "server-b"
    assert patch(server_b, location, half, data[half : 8 * MIB + 1]).status_code == 204  # sends part 1
    settings.VIDEO_UPLOAD_DIR = tmp_path / "server-a"
    response = patch(alice_client, location, 8 * MIB + 1, data[8 * MIB + 1 :])
    assert response.status_code == 204
    video = Video.objects.get(pk=response["Video-Id"])
    assert s3.get_object(Bucket=BUCKET, Key=video.source_name)["Body"].read() == data
    assert not keys(s3, f"videos/{video.pk}/source/original.mp4.tus-pending")  # no pending object left
    assert not any(p.is_file() for p in tmp_path.rglob("*"))  # nothing spooled on either server


def test_lost_pending_bytes_answer_409_with_the_offset_to_resume_from(s3, alice_client):
    data = os.urandom(2 * MIB)
    location = create(alice_client, len(data))["Location"]
    patch(alice_client, location, 0, data[:MIB])
    upload = Upload.objects.get()
    s3.delete_object(Bucket=BUCKET, Key=f"{upload.s3_key}.tus-pending")
    response = patch(alice_client, location, MIB, data[MIB:])
    assert response.status_code == 409
    assert response["Upload-Offset"] == "0"  # never zeros in their place
    assert patch(alice_client, location, 0, data).status_code == 204
    video = Video.objects.get(pk=upload.video_id)
    assert s3.get_object(Bucket=BUCKET, Key=video.source_name)["Body"].read() == data

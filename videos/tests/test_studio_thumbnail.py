"""A custom thumbnail from the Studio's edit page: checked, re-encoded, signed like the video's media."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from videos import access
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _png(width=2000, height=1000) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(out, format="PNG")
    return SimpleUploadedFile("thumb.png", out.getvalue(), content_type="image/png")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_creator_sets_a_custom_thumbnail(alice, django_capture_on_commit_callbacks):
    video = VideoFactory(author=alice)
    client = _client(alice)
    response = client.post(f"/studio/videos/{video.pk}/", {"action": "thumbnail", "thumbnail": _png()})
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.thumbnail.startswith(f"videos/{video.pk}/custom/") and video.thumbnail.endswith(".jpg")
    with default_storage.open(video.thumbnail) as handle:
        image = Image.open(handle)
        assert image.format == "JPEG" and image.size == (1280, 640)
    assert access.media_url(video, video.thumbnail)
    first = video.thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/studio/videos/{video.pk}/", {"action": "thumbnail", "thumbnail": _png(300, 200)})
    video.refresh_from_db()
    assert video.thumbnail != first and not default_storage.exists(first)  # the old one is gone


def test_not_an_image_is_a_message(alice):
    video = VideoFactory(author=alice)
    bogus = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = _client(alice).post(
        f"/studio/videos/{video.pk}/", {"action": "thumbnail", "thumbnail": bogus}, follow=True
    )
    assert b"Not an image we can read." in response.content
    video.refresh_from_db()
    assert video.thumbnail == ""


def test_only_the_owner(alice, bob):
    video = VideoFactory(author=alice)
    assert (
        _client(bob).post(f"/studio/videos/{video.pk}/", {"action": "thumbnail", "thumbnail": _png()}).status_code
        == 404
    )

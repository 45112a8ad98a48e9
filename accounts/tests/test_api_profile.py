import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/"


def image_file(fmt="PNG", size=(800, 600), mode="RGB", name="a.png"):
    buf = io.BytesIO()
    Image.new(mode, size, (200, 10, 10) if mode == "RGB" else (200, 10, 10, 128)).save(buf, format=fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{fmt.lower()}")


# --- me --------------------------------------------------------------------------------------------


def test_it_shows_the_own_account(alice_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = alice_client.get(f"{API}me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "alice" and body["email"] == "alice@example.com"
    assert body["two_factor_enabled"] is False and body["email_verified"] is False
    assert isinstance(body["id"], str)


def test_it_requires_authentication_for_me(api_client):
    assert api_client.get(f"{API}me").status_code == 401
    assert api_client.patch(f"{API}me", {"bio": "x"}, format="json").status_code == 401
    assert api_client.delete(f"{API}me").status_code == 401


def test_it_updates_the_profile_with_json(alice_client):
    response = alice_client.patch(
        f"{API}me",
        {"display_name": "Alice W.", "bio": "Hello", "links": ["https://alice.example"], "is_private": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["display_name"] == "Alice W." and body["links"] == ["https://alice.example"] and body["is_private"]
    # a partial update leaves the rest alone
    assert alice_client.patch(f"{API}me", {"bio": "Bye"}, format="json").json()["display_name"] == "Alice W."


@pytest.mark.parametrize(
    "payload",
    [
        {"links": [f"https://{i}.example" for i in range(6)]},
        {"links": ["not a url"]},
        {"links": "https://one.example"},
        {"links": [{"url": "https://x.example"}]},
        {"display_name": "x" * 51},
        {"bio": "x" * 501},
        {"display_name": ["x"]},
        {"is_private": "perhaps"},
        {"bio": 5},
    ],
)
def test_it_rejects_bad_profile_values(alice_client, payload):
    response = alice_client.patch(f"{API}me", payload, format="json")
    assert response.status_code == 400, (payload, response.content)
    assert set(response.json()) & set(payload)


def test_it_rejects_a_non_object_body(alice_client):
    assert alice_client.patch(f"{API}me", "[1]", content_type="application/json").status_code == 400
    assert alice_client.patch(f"{API}me", "{", content_type="application/json").status_code == 400


def test_it_uploads_and_normalises_an_avatar(alice_client, alice):
    response = alice_client.patch(f"{API}me", {"avatar": image_file()}, format="multipart")
    assert response.status_code == 200, response.json()
    url = response.json()["avatar_url"]
    assert url.startswith("http://testserver/media/avatars/")
    alice.refresh_from_db()
    with Image.open(alice.avatar.path) as image:
        assert image.size == (400, 400) and image.format == "JPEG"
    old_path = alice.avatar.path
    # transparency is kept (PNG); the old file is removed after commit
    response = alice_client.patch(f"{API}me", {"avatar": image_file(mode="RGBA")}, format="multipart")
    alice.refresh_from_db()
    assert alice.avatar.name.endswith(".png")
    assert old_path != alice.avatar.path


def test_it_removes_the_avatar_with_null(alice_client, alice):
    alice_client.patch(f"{API}me", {"avatar": image_file()}, format="multipart")
    response = alice_client.patch(f"{API}me", {"avatar": None}, format="json")
    assert response.status_code == 200 and response.json()["avatar_url"] is None


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png"),
        SimpleUploadedFile("a.txt", b"GIF89a\x00\x00", content_type="image/gif"),
    ],
)
def test_it_rejects_fake_images(alice_client, upload):
    response = alice_client.patch(f"{API}me", {"avatar": upload}, format="multipart")
    assert response.status_code == 400 and "avatar" in response.json()


def test_it_rejects_oversized_avatars(alice_client, settings):
    settings.ACCOUNT_AVATAR_MAX_BYTES = 1000
    response = alice_client.patch(f"{API}me", {"avatar": image_file(fmt="BMP", name="a.bmp")}, format="multipart")
    assert response.status_code == 400 and "avatar" in response.json()


def test_it_deletes_the_account_softly(alice_client, alice, api_client):
    assert alice_client.delete(f"{API}me").status_code == 204
    alice.refresh_from_db()
    assert alice.deleted_at is not None and not alice.is_active
    assert api_client.get(f"{API}users/alice").status_code == 404


# --- public profiles -------------------------------------------------------------------------------


def test_it_shows_a_public_profile_to_anyone(api_client, alice):
    User.objects.filter(pk=alice.pk).update(followers_count=3, posts_count=2, videos_count=1, bio="Hi")
    response = api_client.get(f"{API}users/ALICE")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "alice" and body["bio"] == "Hi"
    assert (body["followers_count"], body["following_count"], body["posts_count"], body["videos_count"]) == (3, 0, 2, 1)
    assert body["is_following"] is False and body["is_blocked"] is False and body["is_muted"] is False
    assert "email" not in body and "last_login" not in body and "ban_reason" not in body
    assert api_client.get(f"{API}users/alice/").status_code == 200


def test_it_shows_the_callers_relationship(bob_client, alice, bob):
    from accounts.models import Block, Follow, Mute

    Follow.objects.create(follower=bob, followee=alice)
    Mute.objects.create(muter=bob, muted=alice)
    body = bob_client.get(f"{API}users/alice").json()
    assert body["is_following"] is True and body["is_muted"] is True and body["is_blocked"] is False
    Block.objects.create(blocker=bob, blocked=alice)
    assert bob_client.get(f"{API}users/alice").json()["is_blocked"] is True


def test_it_shows_a_private_profile_without_private_data(api_client, charlie_client, alice):
    services.user_profile_update(user=alice, is_private=True, bio="Quiet")
    for client in (api_client, charlie_client):
        body = client.get(f"{API}users/alice").json()
        assert body["is_private"] is True and body["bio"] == "Quiet" and "email" not in body


def test_it_hides_deleted_and_permanently_banned_users(api_client, alice, bob, moderator):
    services.user_delete(user=alice)
    services.user_ban(user=bob, by=moderator, reason="spam")
    assert api_client.get(f"{API}users/alice").status_code == 404
    assert api_client.get(f"{API}users/bob").status_code == 404
    assert api_client.get(f"{API}users/nobody").status_code == 404


def test_it_marks_temporarily_suspended_users(api_client, alice, moderator):
    services.user_ban(user=alice, by=moderator, until=timezone.now() + timedelta(days=1), reason="x")
    assert api_client.get(f"{API}users/alice").json()["is_suspended"] is True


def test_it_keeps_profile_queries_bounded(bob_client, api_client, alice, django_assert_max_num_queries):
    for _ in range(3):
        UserFactory()
    with django_assert_max_num_queries(8):
        assert bob_client.get(f"{API}users/alice").status_code == 200
    with django_assert_max_num_queries(1):
        assert api_client.get(f"{API}users/alice").status_code == 200

"""Who may fetch video media: originals only for owner and staff, non-public HLS/posters only
through expiring signed links that die when the video stops being public, public media cacheable."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Follow
from accounts.tests.factories import UserFactory
from conftest import bearer_client
from videos import services
from videos.tests.factories import VideoFactory

MASTER = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=320x240\n240p/index.m3u8\n"
VARIANT = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg_000.ts\n#EXT-X-ENDLIST\n"


def published_video(**kwargs):
    """A ready video with a generation (master, one variant, a segment, a poster) and an original."""
    video = VideoFactory(**kwargs)
    prefix = f"videos/{video.pk}/gabc123"
    root = Path(settings.MEDIA_ROOT)
    files = {
        f"{prefix}/master.m3u8": MASTER,
        f"{prefix}/240p/index.m3u8": VARIANT,
        f"{prefix}/240p/seg_000.ts": "segment-bytes",
        f"{prefix}/poster.jpg": "jpeg-bytes",
        f"videos/{video.pk}/source/original.mp4": "original-bytes",
    }
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    video.media_prefix = prefix
    video.master_playlist = f"{prefix}/master.m3u8"
    video.thumbnail = f"{prefix}/poster.jpg"
    video.renditions = [
        {"name": "240p", "height": 240, "width": 320, "bitrate": 500000, "playlist": f"{prefix}/240p/index.m3u8"}
    ]
    video.source_name = f"videos/{video.pk}/source/original.mp4"
    video.save()
    return video


def fetch(url: str, client=None):
    """GET a media URL (absolute, as the API hands it out) through the test client."""
    parts = urlsplit(url)
    return (client or Client()).get(parts.path + (f"?{parts.query}" if parts.query else ""))


def body(response) -> bytes:
    return b"".join(response) if response.streaming else response.content


def detail(client, video) -> dict:
    response = client.get(f"/api/v1/videos/{video.pk}")
    assert response.status_code == 200, response.content
    return response.json()


def test_it_never_serves_originals_to_anyone_walking_ids(alice, db):
    videos = [
        published_video(author=alice, visibility=visibility)
        for visibility in ("public", "unlisted", "private", "followers", "members")
    ]
    videos.append(published_video(author=alice, status="failed"))
    stranger = bearer_client(UserFactory())
    for video in videos:
        for client in (Client(), stranger):
            response = client.get(f"/media/videos/{video.pk}/source/original.mp4")
            assert response.status_code == 404, (video.visibility, response.status_code)


def test_it_gives_the_owner_and_staff_a_short_lived_link_to_the_original(alice, alice_client, bob_client):
    video = published_video(author=alice)
    assert detail(bob_client, video)["original_url"] is None
    assert detail(bearer_client(UserFactory(role="moderator")), video)["original_url"] is None

    for client in (alice_client, bearer_client(UserFactory(is_staff=True))):
        url = detail(client, video)["original_url"]
        assert "/media/s/" in url
        response = fetch(url)
        assert response.status_code == 200
        assert body(response) == b"original-bytes"
        assert response["Cache-Control"] == "private, no-store"

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.MEDIA_ORIGINAL_URL_TTL + 5)):
        assert fetch(url).status_code == 404


def test_it_serves_public_media_unsigned_and_cacheable(alice):
    video = published_video(author=alice)
    data = detail(Client(), video)
    assert "/media/s/" not in data["hls_url"]
    for url in (data["hls_url"], data["renditions"][0]["playlist_url"], data["thumbnail_url"]):
        response = fetch(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=3600"


def _play(url: str) -> list:
    """Fetch a master playlist, its first variant and segment the way a player resolves them."""
    master = fetch(url)
    variant_url = urljoin(url, body(master).decode().strip().splitlines()[-1])
    variant = fetch(variant_url)
    segment = fetch(urljoin(variant_url, "seg_000.ts")) if variant.status_code == 200 else variant
    return [master, variant, segment]


@pytest.mark.parametrize("visibility", ["private", "followers", "members"])
def test_it_serves_non_public_hls_only_through_a_signed_directory(alice, alice_client, visibility):
    video = published_video(author=alice, visibility=visibility)
    data = detail(alice_client, video)
    assert "/media/s/" in data["hls_url"] and "/media/s/" in data["thumbnail_url"]
    for response in _play(data["hls_url"]):
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
    assert fetch(data["thumbnail_url"]).status_code == 200
    # The same files without the signature, or the signature on another directory: nothing.
    assert Client().get(f"/media/{video.master_playlist}").status_code == 404
    token = urlsplit(data["hls_url"]).path.split("/")[3]
    assert Client().get(f"/media/s/{token}/videos/{video.pk}/source/original.mp4").status_code == 404
    assert Client().get(f"/media/s/0{token[1:]}/{video.master_playlist}").status_code == 404


def test_it_gives_followers_signed_links_and_strangers_nothing(alice, bob, bob_client, charlie_client):
    video = published_video(author=alice, visibility="followers")
    Follow.objects.create(follower=bob, followee=alice)
    assert all(r.status_code == 200 for r in _play(detail(bob_client, video)["hls_url"]))
    assert charlie_client.get(f"/api/v1/videos/{video.pk}").status_code == 404


def test_it_kills_earlier_links_when_the_video_becomes_private(alice, alice_client, bob, bob_client):
    video = published_video(author=alice, visibility="followers")
    Follow.objects.create(follower=bob, followee=alice)
    url = detail(bob_client, video)["hls_url"]
    assert fetch(url).status_code == 200
    services.video_update(video=video, visibility="private")
    assert [r.status_code for r in _play(url)] == [404, 404, 404]
    # The owner's new links work.
    assert all(r.status_code == 200 for r in _play(detail(alice_client, video)["hls_url"]))


def test_it_kills_public_links_when_a_public_video_becomes_private(alice):
    video = published_video(author=alice)
    plain = detail(Client(), video)["hls_url"]
    assert fetch(plain).status_code == 200
    services.video_update(video=video, visibility="private")
    assert fetch(plain).status_code == 404


def test_it_kills_earlier_links_when_a_moderator_hides_the_video(alice, alice_client):
    video = published_video(author=alice, visibility="private")
    url = detail(alice_client, video)["hls_url"]
    assert fetch(url).status_code == 200
    services.video_hide(video=video, reason="spam")
    assert fetch(url).status_code == 404


def test_it_kills_earlier_links_when_the_video_is_deleted(alice, alice_client, django_capture_on_commit_callbacks):
    video = published_video(author=alice, visibility="private")
    url = detail(alice_client, video)["hls_url"]
    services.video_delete(video=video)
    assert fetch(url).status_code == 404


def test_it_expires_signed_links(alice, alice_client):
    video = published_video(author=alice, visibility="private")
    url = detail(alice_client, video)["hls_url"]
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.MEDIA_SIGNED_URL_TTL + 5)):
        assert fetch(url).status_code == 404


def test_it_still_serves_unmanaged_media_publicly(db):
    path = Path(settings.MEDIA_ROOT) / "avatars" / "a.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"png")
    response = Client().get("/media/avatars/a.png")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=3600"
    assert Client().get("/media/../secret").status_code == 404

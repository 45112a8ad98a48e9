import pytest

from live.models import Stream

pytestmark = pytest.mark.django_db


def test_it_requires_a_login(client):
    assert client.get("/studio/live/").status_code == 302


def test_it_creates_rotates_and_ends_a_stream_from_the_studio(client, alice):
    client.force_login(alice)
    assert client.get("/studio/live/").status_code == 200
    client.post("/studio/live/", {"action": "create", "title": "Studio show", "slow_mode_s": 0, "chat_enabled": "on"})
    stream = Stream.objects.get(owner=alice)
    page = client.get("/studio/live/").content.decode()
    assert stream.stream_key in page and "Studio show" in page
    client.post("/studio/live/", {"action": "rotate"})
    stream.refresh_from_db()
    assert stream.stream_key not in page
    client.post("/studio/live/", {"action": "end"})
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED


def test_it_shows_an_hls_preview_with_the_vendored_player_when_live(client, alice):
    from live import services

    client.force_login(alice)
    stream = services.stream_create(owner=alice, title="Preview")
    services.stream_go_live(stream=stream)
    page = client.get("/studio/live/").content.decode()
    assert f"/{stream.playback_id}/index.m3u8" in page
    assert "live/vendor/hls.light.min.js" in page

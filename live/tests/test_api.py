from pathlib import Path

import pytest

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from live import services
from live.models import ChatMessage, Stream, StreamBan
from live.tests.factories import ChatMessageFactory, StreamFactory
from socialflow.core.models import AuditEntry

pytestmark = pytest.mark.django_db

STREAMS = "/api/v1/live/streams"


def test_it_creates_a_stream_and_shows_the_key_to_the_owner(alice_client, alice):
    response = alice_client.post(STREAMS, {"title": "Hello world", "category": "music"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "idle"
    assert body["stream_key"].startswith("sk_")
    assert body["rtmp_url"].startswith("rtmp://")
    assert body["hls_url"] is None
    assert isinstance(body["id"], str)
    assert alice_client.get(f"{STREAMS}/{body['id']}").json()["stream_key"] == body["stream_key"]


def test_it_answers_409_for_a_second_active_stream(alice_client):
    assert alice_client.post(STREAMS, {"title": "One"}).status_code == 201
    response = alice_client.post(STREAMS + "/", {"title": "Two"})
    assert response.status_code == 409
    assert response.json()["code"] == "active_stream_exists"


@pytest.mark.parametrize("title", ["", "x" * 201])
def test_it_validates_the_title(alice_client, title):
    response = alice_client.post(STREAMS, {"title": title})
    assert response.status_code == 400
    assert "title" in response.json()


def test_it_requires_a_token_to_create(api_client):
    assert api_client.post(STREAMS, {"title": "x"}).status_code == 401


def test_it_never_shows_the_key_to_others(alice, bob_client, api_client):
    stream = StreamFactory(owner=alice)
    services.stream_go_live(stream=stream)
    for client in (bob_client, api_client):
        detail = client.get(f"{STREAMS}/{stream.pk}")
        assert detail.status_code == 200
        assert "stream_key" not in detail.json()
        assert stream.stream_key not in detail.content.decode()
        listing = client.get(STREAMS)
        assert stream.stream_key not in listing.content.decode()
        assert detail.json()["hls_url"].endswith(f"/{stream.playback_id}/index.m3u8")


def test_it_lists_live_streams_by_category(api_client, django_assert_max_num_queries):
    for index in range(5):
        stream = StreamFactory(category="music" if index % 2 else "games")
        services.stream_go_live(stream=stream)
    StreamFactory(category="music")  # idle: not listed
    with django_assert_max_num_queries(3):
        response = api_client.get(STREAMS, {"category": "music"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 2 and {"next", "previous"} <= set(body)
    assert all(item["status"] == "live" for item in body["results"])
    assert api_client.get(STREAMS, {"status": "bogus"}).status_code == 400


def test_it_lets_only_the_owner_patch(alice, alice_client, bob_client, api_client):
    stream = StreamFactory(owner=alice)
    assert bob_client.patch(f"{STREAMS}/{stream.pk}", {"slow_mode_s": 5}).status_code == 403
    assert api_client.patch(f"{STREAMS}/{stream.pk}", {"slow_mode_s": 5}).status_code == 401
    response = alice_client.patch(f"{STREAMS}/{stream.pk}", {"slow_mode_s": 5, "chat_enabled": False, "title": "New"})
    assert response.status_code == 200
    stream.refresh_from_db()
    assert (stream.slow_mode_s, stream.chat_enabled, stream.title) == (5, False, "New")
    assert alice_client.patch(f"{STREAMS}/{stream.pk}", {"slow_mode_s": -1}).status_code == 400


def test_it_sets_moderators_by_username(alice, bob, alice_client):
    stream = StreamFactory(owner=alice)
    response = alice_client.patch(f"{STREAMS}/{stream.pk}", {"moderators": ["bob"]}, format="json")
    assert response.status_code == 200
    assert response.json()["moderators"] == ["bob"]
    assert alice_client.patch(f"{STREAMS}/{stream.pk}", {"moderators": ["nobody"]}, format="json").status_code == 400


def test_it_rotates_the_key_for_the_owner_only(alice, alice_client, bob_client):
    stream = StreamFactory(owner=alice)
    assert bob_client.post(f"{STREAMS}/{stream.pk}/rotate-key").status_code == 403
    response = alice_client.post(f"{STREAMS}/{stream.pk}/rotate-key/")
    assert response.status_code == 200
    assert response.json()["stream_key"] != stream.stream_key


def test_it_ends_a_stream(alice, alice_client, bob_client, api_client):
    stream = StreamFactory(owner=alice)
    assert api_client.post(f"{STREAMS}/{stream.pk}/end").status_code == 401
    assert bob_client.post(f"{STREAMS}/{stream.pk}/end").status_code == 403
    response = alice_client.post(f"{STREAMS}/{stream.pk}/end")
    assert response.status_code == 200 and response.json()["status"] == "ended"
    assert not AuditEntry.objects.exists()  # the streamer ending their own stream is no moderation


def test_it_audits_a_site_moderator_ending_a_stream(alice):
    moderator = UserFactory(role="moderator")
    stream = StreamFactory(owner=alice)
    assert bearer_client(moderator).post(f"{STREAMS}/{stream.pk}/end").json()["status"] == "ended"
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_id) == (moderator, "stream.end", str(stream.pk))


def test_it_answers_404_for_unknown_streams(api_client):
    assert api_client.get(f"{STREAMS}/999999").status_code == 404


def test_it_pages_chat_history_with_a_cursor(api_client, django_assert_max_num_queries):
    stream = StreamFactory()
    messages = [ChatMessageFactory(stream=stream) for _ in range(60)]
    ChatMessageFactory(stream=stream, text="gone", deleted_at="2026-01-01T00:00:00Z")
    with django_assert_max_num_queries(3):
        first = api_client.get(f"{STREAMS}/{stream.pk}/chat")
    body = first.json()
    assert first.status_code == 200 and len(body["results"]) == 50 and body["next"]
    assert body["results"][0]["id"] == str(messages[-1].pk)
    assert set(body["results"][0]) == {"id", "user", "text", "sent_at"}
    second = api_client.get(body["next"]).json()
    assert len(second["results"]) == 10
    assert "gone" not in first.content.decode() + str(second)


def test_it_matches_moderator_usernames_case_insensitively(alice, bob, alice_client):
    stream = StreamFactory(owner=alice)
    response = alice_client.patch(f"{STREAMS}/{stream.pk}", {"moderators": ["BOB"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["moderators"] == ["bob"]


def test_it_deletes_chat_messages_for_moderators(alice, bob, charlie, alice_client, bob_client, charlie_client):
    stream = StreamFactory(owner=alice)
    message = ChatMessageFactory(stream=stream, user=bob)
    url = f"{STREAMS}/{stream.pk}/chat/{message.pk}"
    assert charlie_client.delete(url).status_code == 403
    assert alice_client.delete(url).status_code == 204
    message.refresh_from_db()
    assert (message.moderation_status, message.moderated_by) == ("removed", alice)
    assert alice_client.delete(f"{STREAMS}/{stream.pk}/chat/999999").status_code == 404
    own = ChatMessageFactory(stream=stream, user=bob)
    assert bob_client.delete(f"{STREAMS}/{stream.pk}/chat/{own.pk}").status_code == 204
    own.refresh_from_db()
    assert own.deleted_at is not None and own.moderation_status == "visible"  # deleting your own: no moderation
    entry = AuditEntry.objects.get()  # the streamer's removal only
    assert (entry.actor, entry.action, entry.target_id) == (alice, "chat_message.removed", str(message.pk))
    history = alice_client.get(f"{STREAMS}/{stream.pk}/chat").json()["results"]
    assert message.pk not in [int(m["id"]) for m in history] and own.pk not in [int(m["id"]) for m in history]


def test_it_bans_and_unbans(alice, bob, charlie, alice_client, bob_client, api_client, django_assert_max_num_queries):
    stream = StreamFactory(owner=alice)
    url = f"{STREAMS}/{stream.pk}/bans"
    assert api_client.post(url, {"username": "bob"}).status_code == 401
    assert bob_client.post(url, {"username": "charlie"}).status_code == 403
    response = alice_client.post(url, {"username": "bob", "duration_s": 60})
    assert response.status_code == 201, response.content
    assert response.json()["expires_at"]
    assert alice_client.post(url, {"username": "alice"}).status_code == 400
    assert alice_client.post(url, {"username": "ghost"}).status_code == 400
    with django_assert_max_num_queries(5):
        listing = alice_client.get(url)
    assert [ban["user"]["username"] for ban in listing.json()["results"]] == ["bob"]
    assert alice_client.delete(f"{url}/bob").status_code == 204
    assert alice_client.delete(f"{url}/bob/").status_code == 404
    assert not StreamBan.objects.exists()
    audited = AuditEntry.objects.order_by("id").values_list("actor", "action", "target_id", "metadata__stream_id")
    assert list(audited) == [
        (alice.pk, "chat.timeout", str(bob.pk), stream.pk),
        (alice.pk, "chat.unban", str(bob.pk), stream.pk),
    ]


def test_it_answers_404_when_unbanning_an_unknown_user(alice, alice_client):
    stream = StreamFactory(owner=alice)
    response = alice_client.delete(f"{STREAMS}/{stream.pk}/bans/ghost")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_it_counts_as_a_chat_message_and_in_the_metrics(alice, bob):
    stream = StreamFactory(owner=alice)
    services.chat_message_send(stream_id=stream.pk, user=bob, text="hi")
    stream.refresh_from_db()
    assert stream.chat_messages_count == 1
    assert ChatMessage.objects.get().text == "hi"
    assert Stream.objects.get(pk=stream.pk).chat_messages_count == 1


def test_it_serves_embedded_live_hls_without_caching_the_playlist(api_client, settings):
    folder = settings.MEDIA_ROOT / settings.LIVE_HLS_DIR / "abcdef0123456789"
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text("#EXTM3U\n")
    (folder / "seg00001.ts").write_bytes(b"\x47" * 188)
    playlist = api_client.get("/api/v1/live/hls/abcdef0123456789/index.m3u8")
    assert playlist.status_code == 200 and playlist["Cache-Control"] == "no-cache"
    assert playlist.content == b"#EXTM3U\n"
    assert api_client.get("/api/v1/live/hls/abcdef0123456789/seg00001.ts").status_code == 200
    assert api_client.get("/api/v1/live/hls/abcdef0123456789/../secret").status_code == 404
    assert api_client.get("/api/v1/live/hls/nothex/index.m3u8").status_code == 404


def test_it_answers_404_for_a_segment_deleted_while_being_served(api_client, settings, monkeypatch):
    folder = settings.MEDIA_ROOT / settings.LIVE_HLS_DIR / "abcdef0123456789"
    folder.mkdir(parents=True)
    (folder / "seg00001.ts").write_bytes(b"\x47" * 188)

    def vanished(self):  # ffmpeg's delete_segments removed it after the request was routed
        raise FileNotFoundError(self)

    monkeypatch.setattr(Path, "read_bytes", vanished)
    assert api_client.get("/api/v1/live/hls/abcdef0123456789/seg00001.ts").status_code == 404


@pytest.mark.parametrize("query", ["category=a%00b", "owner=al%00ice", "status=li%00ve"])
def test_it_answers_a_nul_in_a_list_filter_with_an_empty_list_or_400(api_client, query):
    # PostgreSQL refuses NUL in a query parameter (a 500 before): nothing can match it.
    response = api_client.get(f"{STREAMS}?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []

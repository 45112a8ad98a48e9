import pytest

from live.models import Recording, Stream
from live.tests.factories import StreamFactory

pytestmark = pytest.mark.django_db

PUBLISH = "/api/v1/live/ingest/publish"
DONE = "/api/v1/live/ingest/publish-done"
RECORD = "/api/v1/live/ingest/record-done"
SECRET = "test-ingest-secret"


def form(client, url, data, secret=SECRET):
    query = f"?secret={secret}" if secret is not None else ""
    return client.post(url + query, data, format="multipart")


def test_it_lets_a_valid_key_publish_and_goes_live(api_client):
    stream = StreamFactory()
    response = form(api_client, PUBLISH, {"name": stream.stream_key, "app": "live", "addr": "127.0.0.1"})
    assert response.status_code == 200
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE and stream.started_at


def test_it_relays_to_the_playback_id_for_nginx(api_client):
    stream = StreamFactory()
    url = f"{PUBLISH}?secret={SECRET}&relay=rtmp://127.0.0.1:1935/hls"
    response = api_client.post(url, {"name": stream.stream_key}, format="multipart")
    assert response.status_code == 302
    assert response["Location"] == f"rtmp://127.0.0.1:1935/hls/{stream.playback_id}"


def test_it_accepts_the_secret_as_a_form_field(api_client):
    stream = StreamFactory()
    response = form(api_client, PUBLISH, {"name": stream.stream_key, "secret": SECRET}, secret=None)
    assert response.status_code == 200


@pytest.mark.parametrize("secret", [None, "", "wrong"])
def test_it_refuses_a_bad_secret(api_client, secret):
    stream = StreamFactory()
    response = form(api_client, PUBLISH, {"name": stream.stream_key}, secret=secret)
    assert response.status_code == 403
    assert response.json()["code"] == "bad_secret"
    stream.refresh_from_db()
    assert stream.status == Stream.Status.IDLE


def test_it_refuses_unknown_and_rotated_keys(api_client, alice_client, alice):
    assert form(api_client, PUBLISH, {"name": "sk_nope"}).status_code == 403
    stream = StreamFactory(owner=alice)
    old_key = stream.stream_key
    assert alice_client.post(f"/api/v1/live/streams/{stream.pk}/rotate-key").status_code == 200
    response = form(api_client, PUBLISH, {"name": old_key})
    assert response.status_code == 403 and response.json()["code"] == "unknown_key"


def test_it_waits_for_the_publisher_after_publish_done_then_ends(api_client, settings):
    import time_machine
    from django.utils import timezone

    from live.tasks import end_abandoned_stream

    settings.LIVE_RECONNECT_GRACE_S = 90
    stream = StreamFactory()
    form(api_client, PUBLISH, {"name": stream.stream_key})
    response = form(api_client, DONE, {"name": stream.stream_key})  # nginx names the session by its key
    assert response.status_code == 200
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE and stream.disconnected_at
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=60)):
        assert end_abandoned_stream(stream.pk) is False
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=91)):
        assert end_abandoned_stream(stream.pk) is True
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED and stream.ended_at and stream.disconnected_at is None
    assert form(api_client, DONE, {"name": "unknown"}).status_code == 403


def test_it_ends_on_publish_done_without_a_grace_period(api_client, settings):
    settings.LIVE_RECONNECT_GRACE_S = 0
    stream = StreamFactory()
    form(api_client, PUBLISH, {"name": stream.stream_key})
    form(api_client, DONE, {"name": stream.playback_id})
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED


def test_it_turns_record_done_into_a_recording(api_client, settings, monkeypatch):
    import sys
    import types

    fake = types.ModuleType("videos.services")
    from videos.models import Video

    fake.video_create_from_file = lambda **kwargs: Video.objects.create(author=kwargs["author"], title="replay")
    monkeypatch.setitem(sys.modules, "videos.services", fake)
    stream = StreamFactory()
    form(api_client, PUBLISH, {"name": stream.stream_key})
    path = settings.LIVE_RECORDINGS_DIR / "show.flv"
    path.write_bytes(b"FLV\x01" * 64)
    response = form(api_client, RECORD, {"name": stream.playback_id, "path": str(path)})
    assert response.status_code == 200
    recording = Recording.objects.get(stream=stream)
    assert recording.path == str(path.resolve())
    assert form(api_client, RECORD, {"name": stream.playback_id}).status_code == 400
    assert form(api_client, RECORD, {"name": stream.playback_id, "path": "/etc/passwd"}).status_code == 403


def test_it_validates_the_form(api_client):
    assert form(api_client, PUBLISH, {}).status_code == 400


@pytest.mark.parametrize("body", ["[1]", '"name"', "42", "null"])
@pytest.mark.parametrize("url", [PUBLISH, DONE, RECORD])
def test_it_answers_a_non_object_json_body_with_4xx(api_client, url, body):
    without_secret = api_client.post(url, body, content_type="application/json")
    assert without_secret.status_code == 403
    assert without_secret.json()["code"] == "bad_secret"
    with_secret = api_client.post(f"{url}?secret={SECRET}", body, content_type="application/json")
    assert with_secret.status_code == 400


def test_it_refuses_a_nul_in_the_stream_key(api_client):
    assert form(api_client, PUBLISH, {"name": "sk_\x00abc"}).status_code in (400, 403)


UPDATE = "/api/v1/live/ingest/update"


def test_it_keeps_a_long_broadcast_alive_through_ingest_heartbeats(api_client):
    import time_machine
    from django.utils import timezone

    from live.tasks import reconcile_streams

    stream = StreamFactory()
    with time_machine.travel(timezone.now() - timezone.timedelta(days=2)):
        form(api_client, PUBLISH, {"name": stream.stream_key})
    assert form(api_client, UPDATE, {"name": stream.playback_id}).status_code == 200
    reconcile_streams()
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE  # 48 h on air, heartbeat a moment ago


def test_it_ends_a_live_stream_whose_heartbeat_stopped(api_client):
    import time_machine
    from django.utils import timezone

    from live.tasks import reconcile_streams

    stream = StreamFactory()
    with time_machine.travel(timezone.now() - timezone.timedelta(minutes=11)):
        form(api_client, PUBLISH, {"name": stream.stream_key})
    reconcile_streams()
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED


def test_it_answers_an_ingest_heartbeat_for_an_ended_stream_with_403(api_client):
    from live import services

    stream = StreamFactory()
    form(api_client, PUBLISH, {"name": stream.stream_key})
    services.stream_end(stream=stream)
    response = form(api_client, UPDATE, {"name": stream.playback_id})
    assert response.status_code == 403 and response.json()["code"] == "not_live"
    assert form(api_client, UPDATE, {"name": "unknown"}).status_code == 403
    assert form(api_client, UPDATE, {"name": stream.playback_id}, secret="wrong").status_code == 403

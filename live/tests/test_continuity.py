"""Live continuity: one persistent key per channel, and a publisher that reconnects within the grace
period continues the same broadcast; its recording parts become one replay video."""

import subprocess

import imageio_ffmpeg
import pytest
import time_machine

from live import services, tasks
from live.lib import recordings
from live.models import LiveChannel, Recording, Stream
from live.tests.factories import StreamFactory
from videos.lib import probe

pytestmark = pytest.mark.django_db

STREAMS = "/api/v1/live/streams"


@pytest.fixture(autouse=True)
def _grace(settings):
    settings.LIVE_RECONNECT_GRACE_S = 90
    settings.LIVE_RECORDING_SETTLE_S = 0


def make_clip(path, seconds=1, tone=440):
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10"),
            *("-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=22050"),
            *("-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-b:a", "32k", "-f", "flv", str(path)),
        ],
        check=True,
        timeout=60,
    )
    return path


def test_it_keeps_one_stream_key_per_channel_across_streams(alice, alice_client):
    first = alice_client.post(STREAMS, {"title": "Monday"}, format="json").json()
    alice_client.post(f"{STREAMS}/{first['id']}/end")
    second = alice_client.post(STREAMS, {"title": "Tuesday"}, format="json").json()
    assert first["stream_key"] == second["stream_key"] == LiveChannel.objects.get(owner=alice).stream_key
    # OBS keeps its key: the next publish goes to the new stream.
    assert services.ingest_publish(stream_key=first["stream_key"]).pk == int(second["id"])


def test_it_rotates_the_channel_key_on_demand(alice, alice_client):
    created = alice_client.post(STREAMS, {"title": "Show"}, format="json").json()
    rotated = alice_client.post(f"{STREAMS}/{created['id']}/rotate-key").json()
    assert rotated["stream_key"] != created["stream_key"]
    with pytest.raises(services.IngestDenied):
        services.ingest_publish(stream_key=created["stream_key"])
    alice_client.post(f"{STREAMS}/{created['id']}/end")
    assert alice_client.post(STREAMS, {"title": "Next"}, format="json").json()["stream_key"] == rotated["stream_key"]


def test_it_shows_and_rotates_the_channel_key(alice, alice_client, api_client):
    channel = alice_client.get("/api/v1/live/channel").json()
    assert channel["stream_key"].startswith("sk_") and channel["rtmp_url"] and channel["key_rotated_at"] is None
    assert alice_client.get("/api/v1/live/channel/").json()["stream_key"] == channel["stream_key"]  # made once
    stream = alice_client.post(STREAMS, {"title": "Show"}, format="json").json()
    assert stream["stream_key"] == channel["stream_key"]
    rotated = alice_client.post("/api/v1/live/channel/rotate-key").json()
    assert rotated["stream_key"] != channel["stream_key"] and rotated["key_rotated_at"]
    assert alice_client.get(f"{STREAMS}/{stream['id']}").json()["stream_key"] == rotated["stream_key"]
    with pytest.raises(services.IngestDenied):
        services.ingest_publish(stream_key=channel["stream_key"])
    assert api_client.get("/api/v1/live/channel").status_code == 401
    assert api_client.post("/api/v1/live/channel/rotate-key").status_code == 401


def test_it_says_a_stream_is_reconnecting(alice, api_client):
    stream = StreamFactory(owner=alice)
    services.ingest_publish(stream_key=stream.stream_key)
    assert api_client.get(f"{STREAMS}/{stream.pk}").json()["reconnecting"] is False
    services.ingest_publish_done(name=stream.stream_key)
    body = api_client.get(f"{STREAMS}/{stream.pk}").json()
    assert body["status"] == "live" and body["reconnecting"] is True


def test_it_resumes_the_same_stream_when_the_publisher_reconnects_within_the_grace(alice):
    stream = StreamFactory(owner=alice)
    with time_machine.travel("2026-03-01 20:00Z", tick=False) as clock:
        services.ingest_publish(stream_key=stream.stream_key)
        stream.refresh_from_db()
        started_at = stream.started_at
        clock.move_to("2026-03-01 20:30Z")
        services.ingest_publish_done(name=stream.stream_key)  # the encoder dropped
        stream.refresh_from_db()
        assert stream.status == Stream.Status.LIVE and stream.disconnected_at
        clock.move_to("2026-03-01 20:31:20Z")  # 80 s later: within 90 s
        assert services.ingest_publish(stream_key=stream.stream_key).pk == stream.pk
        stream.refresh_from_db()
        assert stream.status == Stream.Status.LIVE and stream.disconnected_at is None
        assert stream.started_at == started_at  # the same broadcast
        clock.move_to("2026-03-01 20:40Z")
        assert tasks.reconcile_streams()["ended"] == 0  # its grace timer is void
        assert tasks.end_abandoned_stream(stream.pk) is False
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE


def test_it_ends_the_stream_when_the_grace_runs_out_and_reconnect_needs_a_new_stream(alice):
    stream = StreamFactory(owner=alice)
    with time_machine.travel("2026-03-01 20:00Z", tick=False) as clock:
        services.ingest_publish(stream_key=stream.stream_key)
        services.ingest_publish_done(name=stream.stream_key)
        clock.move_to("2026-03-01 20:01:31Z")
        assert tasks.reconcile_streams()["ended"] == 1
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED
    with pytest.raises(services.IngestDenied) as denied:
        services.ingest_publish(stream_key=stream.stream_key)
    assert denied.value.code == "stream_ended"


def test_it_joins_the_recording_parts_of_one_broadcast_into_one_video(
    alice, settings, django_capture_on_commit_callbacks
):
    stream = StreamFactory(owner=alice, title="Marathon")
    settings.LIVE_RECORDINGS_DIR.mkdir(parents=True, exist_ok=True)
    first = make_clip(settings.LIVE_RECORDINGS_DIR / "part-1.flv", seconds=2)
    second = make_clip(settings.LIVE_RECORDINGS_DIR / "part-2.flv", seconds=2, tone=660)
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest_publish(stream_key=stream.stream_key)
        services.ingest_publish_done(name=stream.stream_key)
        services.ingest_record_done(name=stream.stream_key, path=str(first))
        services.ingest_publish(stream_key=stream.stream_key)  # back within the grace
        services.ingest_publish_done(name=stream.stream_key)
        services.ingest_record_done(name=stream.stream_key, path=str(second))
    assert set(Recording.objects.values_list("status", flat=True)) == {"pending"}
    with django_capture_on_commit_callbacks(execute=True):
        services.stream_end(stream=stream)
    parts = list(Recording.objects.filter(stream=stream))
    assert [part.status for part in parts] == ["imported", "imported"]
    assert parts[0].video_id == parts[1].video_id
    video = parts[0].video
    assert video.title == "Marathon" and video.source == "live"
    video.refresh_from_db()
    assert video.status == "ready", video.error
    assert video.duration_ms >= 3500  # both parts, 2 s each
    assert not first.exists() and not second.exists()  # the joined file replaced them


def test_it_joins_parts_with_ffmpeg(tmp_path):
    parts = [make_clip(tmp_path / f"{n}.flv") for n in range(3)]
    joined = recordings.join_parts(parts, tmp_path / "joined.mkv")
    assert probe.probe(str(joined)).duration_s >= 2.5


def test_it_refuses_to_join_broken_parts(tmp_path):
    broken = tmp_path / "broken.flv"
    broken.write_bytes(b"not a video")
    with pytest.raises(recordings.JoinFailed):
        recordings.join_parts([broken, broken], tmp_path / "joined.mkv")
    assert not (tmp_path / "joined.mkv").exists()


def test_it_imports_a_part_reported_after_the_stream_ended(alice, settings, django_capture_on_commit_callbacks):
    stream = StreamFactory(owner=alice)
    settings.LIVE_RECORDINGS_DIR.mkdir(parents=True, exist_ok=True)
    services.ingest_publish(stream_key=stream.stream_key)
    services.stream_end(stream=stream)  # the streamer pressed "end" while publishing
    clip = make_clip(settings.LIVE_RECORDINGS_DIR / "late.flv")
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest_record_done(name=stream.stream_key, path=str(clip))
    assert Recording.objects.get(stream=stream).status == Recording.Status.IMPORTED


def test_it_tells_viewers_the_stream_is_reconnecting(alice, monkeypatch, django_capture_on_commit_callbacks):
    from live.services import streams

    pushed = []
    monkeypatch.setattr(streams, "_push", lambda stream_id, event: pushed.append(event["status"]))
    stream = StreamFactory(owner=alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest_publish(stream_key=stream.stream_key)
        services.ingest_publish_done(name=stream.stream_key)
        services.ingest_publish(stream_key=stream.stream_key)
    assert pushed == ["live", "reconnecting", "live"]

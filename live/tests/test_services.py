import pytest
import time_machine
from django.utils import timezone

from live import services
from live.models import Recording, Stream
from live.services import ingest
from live.tests.factories import StreamFactory
from socialflow.core.exceptions import Conflict
from videos.models import Video

pytestmark = pytest.mark.django_db


def test_it_creates_a_stream_with_a_secret_key_and_public_playback_id(alice):
    stream = services.stream_create(owner=alice, title="Hello")
    assert stream.status == Stream.Status.IDLE
    assert stream.stream_key.startswith("sk_") and len(stream.stream_key) > 20
    assert stream.playback_id and stream.playback_id not in stream.stream_key


def test_it_allows_one_active_stream_per_owner(alice):
    services.stream_create(owner=alice, title="One")
    with pytest.raises(Conflict):
        services.stream_create(owner=alice, title="Two")
    assert Stream.objects.filter(owner=alice).count() == 1


def test_it_allows_a_new_stream_after_the_last_one_ended(alice):
    first = services.stream_create(owner=alice, title="One")
    services.stream_end(stream=first)
    second = services.stream_create(owner=alice, title="Two")
    assert second.status == Stream.Status.IDLE


def test_it_moves_idle_live_ended_by_conditional_updates(alice):
    stream = StreamFactory(owner=alice)
    assert services.stream_go_live(stream=stream) is True
    assert services.stream_go_live(stream=stream) is False
    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE and stream.started_at
    assert services.stream_end(stream=stream) is True
    assert services.stream_end(stream=stream) is False
    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED and stream.ended_at >= stream.started_at


def test_it_rotates_the_key_and_refuses_the_old_one(alice):
    stream = StreamFactory(owner=alice)
    old_key = stream.stream_key
    services.stream_rotate_key(stream=stream)
    assert stream.stream_key != old_key
    with pytest.raises(services.IngestDenied) as denied:
        services.ingest_publish(stream_key=old_key)
    assert denied.value.code == "unknown_key"
    assert services.ingest_publish(stream_key=stream.stream_key).status == Stream.Status.LIVE


def test_it_refuses_publishing_to_an_ended_stream(alice):
    stream = StreamFactory(owner=alice)
    services.stream_end(stream=stream)
    with pytest.raises(services.IngestDenied) as denied:
        services.ingest_publish(stream_key=stream.stream_key)
    assert denied.value.code == "stream_ended"


def test_it_keeps_the_peak_and_average_viewers(alice):
    with time_machine.travel("2026-01-01 12:00:00Z", tick=False) as traveller:
        stream = StreamFactory(owner=alice)
        services.stream_go_live(stream=stream)
        services.stream_viewers_record(stream_id=stream.pk, count=5)
        services.stream_viewers_record(stream_id=stream.pk, count=3)
        services.stream_watch_time_add(stream_id=stream.pk, ms=60_000)
        services.stream_watch_time_add(stream_id=stream.pk, ms=60_000)
        traveller.shift(60)
        services.stream_end(stream=stream)
    stream.refresh_from_db()
    assert stream.peak_viewers == 5
    assert stream.current_viewers == 0
    assert stream.average_viewers == 2.0


def test_it_records_stream_started_once_when_a_stream_goes_live(
    alice, event_handler, django_capture_on_commit_callbacks
):
    seen = []
    event_handler("stream.started", lambda event: seen.append(event.payload), name="test.stream_started")
    stream = StreamFactory(owner=alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.stream_go_live(stream=stream) is True
        assert services.stream_go_live(stream=stream) is False  # a reconnect is no new start
    assert seen == [{"stream_id": stream.pk, "owner_id": alice.pk}]


def test_it_registers_a_recording_once_and_imports_it_when_the_stream_ends(
    alice, settings, monkeypatch, django_capture_on_commit_callbacks
):
    created = []

    def fake_create(**kwargs):
        created.append(kwargs)
        return Video.objects.create(author=kwargs["author"], title=kwargs["title"], source="live")

    monkeypatch.setattr(ingest, "video_create_from_file", fake_create)
    stream = StreamFactory(owner=alice, title="My show")
    services.ingest_publish(stream_key=stream.stream_key)
    path = settings.LIVE_RECORDINGS_DIR / "rec.flv"
    path.write_bytes(b"FLV" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        recording = services.ingest_record_done(name=stream.playback_id, path=str(path))
        again = services.ingest_record_done(name=stream.playback_id, path=str(path))
    assert again.pk == recording.pk
    recording.refresh_from_db()
    assert recording.status == Recording.Status.PENDING  # the broadcast may still continue
    with django_capture_on_commit_callbacks(execute=True):
        services.stream_end(stream=stream)
    recording.refresh_from_db()
    assert recording.status == Recording.Status.IMPORTED and recording.video_id == recording.video.pk
    assert len(created) == 1
    assert created[0]["author"] == alice and created[0]["source"] == "live" and created[0]["title"] == "My show"
    assert created[0]["path"] == str(path.resolve())  # a single part is imported as it is


def test_it_refuses_recordings_outside_the_recordings_dir(alice, tmp_path):
    stream = StreamFactory(owner=alice)
    outside = tmp_path / "elsewhere.flv"
    outside.write_bytes(b"x")
    with pytest.raises(services.IngestDenied) as denied:
        services.ingest_record_done(name=stream.stream_key, path=str(outside))
    assert denied.value.code == "bad_path"


def test_it_fails_empty_recordings_instead_of_making_a_video(alice, settings):
    stream = StreamFactory(owner=alice)
    path = settings.LIVE_RECORDINGS_DIR / "empty.flv"
    path.write_bytes(b"x")
    recording = Recording.objects.create(stream=stream, path=str(path))
    path.write_bytes(b"")
    services.stream_end(stream=stream)
    services.stream_recordings_import(stream=stream)
    recording.refresh_from_db()
    assert recording.status == Recording.Status.FAILED
    assert not Video.objects.exists()


def test_it_reconciles_abandoned_streams(alice, bob):
    from live.tasks import reconcile_streams

    with time_machine.travel(timezone.now() - timezone.timedelta(days=5)):
        idle = StreamFactory(owner=alice)
        live = StreamFactory(owner=bob)
        services.stream_go_live(stream=live)
    fresh = StreamFactory()
    assert reconcile_streams()["ended"] == 2
    idle.refresh_from_db()
    live.refresh_from_db()
    fresh.refresh_from_db()
    assert idle.status == live.status == Stream.Status.ENDED
    assert fresh.status == Stream.Status.IDLE


@pytest.mark.parametrize("text", ["hi\x00there", "\x00"])
def test_it_refuses_a_nul_in_a_chat_message(alice, bob, text):
    # PostgreSQL cannot store NUL in text: it must be a refusal frame, not a crashed consumer.
    stream = StreamFactory(owner=alice)
    with pytest.raises(services.ChatRefused) as refused:
        services.chat_message_send(stream_id=stream.pk, user=bob, text=text)
    assert refused.value.code == "invalid"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("\u200bhi\u200b", "hi"),
        ("\ufeff ok \u2060", "ok"),
        ("\U0001f468\u200d\U0001f469", "\U0001f468\u200d\U0001f469"),
    ],
)
def test_it_strips_invisible_ends_but_keeps_joiners_inside(alice, bob, text, stored):
    stream = StreamFactory(owner=alice)
    message = services.chat_message_send(stream_id=stream.pk, user=bob, text=text)
    assert message.text == stored


@pytest.mark.parametrize("text", ["\u200b", "\u200c\u200d", "\u2060\ufeff\u200b \t", "\u3164"])
def test_it_refuses_a_message_of_only_invisible_characters(alice, bob, text):
    stream = StreamFactory(owner=alice)
    with pytest.raises(services.ChatRefused) as refused:
        services.chat_message_send(stream_id=stream.pk, user=bob, text=text)
    assert refused.value.code == "empty"


def test_it_sends_when_the_ban_is_lifted_between_the_read_and_the_check(alice, bob, monkeypatch):
    # An unban racing a send: the ban id read with the stream is gone by the time it is loaded.
    # That was StreamBan.DoesNotExist, which the consumer does not catch (the socket died).
    from live.services import chat

    stream = StreamFactory(owner=alice)
    services.chat_ban_create(stream=stream, user=bob, by=alice)
    read_stream = chat.stream_for_chat

    def read_then_unban(**kwargs):
        found = read_stream(**kwargs)
        services.chat_ban_delete(stream=stream, user=bob)
        return found

    monkeypatch.setattr(chat, "stream_for_chat", read_then_unban)
    assert services.chat_message_send(stream_id=stream.pk, user=bob, text="hi", broadcast=False).text == "hi"


def test_it_keeps_an_ended_stream_at_zero_viewers(alice):
    # The viewer announcer can tick after the stream ended; its count must not revive the stream's numbers.
    stream = StreamFactory(owner=alice)
    services.stream_go_live(stream=stream)
    services.stream_viewers_record(stream_id=stream.pk, count=3)
    services.stream_end(stream=stream)
    services.stream_viewers_record(stream_id=stream.pk, count=7)
    stream.refresh_from_db()
    assert (stream.current_viewers, stream.peak_viewers) == (0, 3)


def test_members_only_chat_and_members_videos_answer_to_the_one_membership_rule(alice, bob):
    """Members-only is decided in one place (``access.is_member``, fed by the membership provider):
    the same answer opens a members-only chat and a members video."""
    from socialflow.core import access
    from videos.models import Visibility
    from videos.tests.factories import VideoFactory

    class BobIsAMember(access.MembershipProvider):
        def is_member(self, *, user_id, creator_id):
            return user_id == bob.pk and creator_id == alice.pk

        def creator_ids(self, *, user_id):
            return [alice.pk] if user_id == bob.pk else []

    stream = StreamFactory(owner=alice, status=Stream.Status.LIVE, members_only=True)
    video = VideoFactory(author=alice, visibility=Visibility.MEMBERS)
    with pytest.raises(services.ChatRefused) as refused:
        services.chat_message_send(stream_id=stream.pk, user=bob, text="hi", broadcast=False)
    assert refused.value.code == "members_only"
    assert not access.can_view(bob, video)

    registered = access.membership_provider()
    access.set_membership_provider(BobIsAMember())
    try:
        assert services.chat_message_send(stream_id=stream.pk, user=bob, text="hi", broadcast=False).text == "hi"
        assert access.can_view(bob, video)
        assert access.visible_to("video", bob).filter(pk=video.pk).exists()
    finally:
        access.set_membership_provider(registered)

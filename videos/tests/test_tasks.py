"""The transcoding pipeline on real ffmpeg with tiny lavfi clips, and the periodic tasks."""

from datetime import timedelta
from pathlib import Path

import av
import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from videos import services, tasks
from videos.lib import ffmpeg
from videos.models import Video
from videos.services.transcode import TranscodeRetryableError
from videos.tests.factories import VideoFactory


def queued_video(author, path: Path, **kwargs) -> Video:
    """A processing video whose source is ``path`` (transcoding not run yet)."""
    return services.video_create_from_file(author=author, path=path, title=kwargs.pop("title", "clip"), **kwargs)


def media_path(name: str) -> Path:
    return Path(default_storage.path(name))


@pytest.mark.slow
def test_it_transcodes_the_ladder_without_upscaling(alice, make_clip):
    video = queued_video(alice, make_clip(seconds=2, size="640x360"))
    assert tasks.transcode_next() == "ready"
    video.refresh_from_db()
    assert video.status == "ready" and video.progress == 100 and video.error == ""
    assert (video.width, video.height) == (640, 360)
    assert 1900 <= video.duration_ms <= 2100
    assert [r["height"] for r in video.renditions] == [360, 240]  # no 480/720/1080 from a 360p source
    master = media_path(video.master_playlist).read_text()
    assert master.startswith("#EXTM3U")
    variants = [line for line in master.splitlines() if line and not line.startswith("#")]
    assert variants == ["360p/index.m3u8", "240p/index.m3u8"]
    assert "RESOLUTION=640x360" in master and "RESOLUTION=426x240" in master
    for rendition in video.renditions:
        playlist = media_path(rendition["playlist"])
        text = playlist.read_text()
        assert "#EXT-X-ENDLIST" in text
        segments = [line for line in text.splitlines() if line.endswith(".ts")]
        assert segments and all((playlist.parent / s).stat().st_size > 0 for s in segments)
        with av.open(str(playlist.parent / segments[0])) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.height == rendition["height"]
            assert stream.codec_context.name == "h264"
            assert container.streams.audio[0].codec_context.name == "aac"
    assert media_path(video.thumbnail).stat().st_size > 0
    assert media_path(video.preview_sprite).stat().st_size > 0
    vtt = media_path(video.preview_vtt).read_text()
    assert vtt.startswith("WEBVTT") and "#xywh=" in vtt
    assert video.published_at is not None


@pytest.mark.slow
def test_it_handles_portrait_and_silent_sources(alice, make_clip):
    video = queued_video(alice, make_clip(seconds=1, size="240x320", audio=False))
    tasks.transcode_next()
    video.refresh_from_db()
    assert video.status == "ready", video.error
    assert [(r["width"], r["height"]) for r in video.renditions] == [(240, 320)]


def test_it_plans_bitrates_from_bits_per_pixel():
    plan = ffmpeg.plan_ladder(
        width=1920,
        height=1080,
        fps=30,
        duration_s=60,
        has_audio=True,
        ladder=[1080, 720, 480, 360, 240],
        bits_per_pixel=0.08,
        segment_s=4,
    )
    assert [r.height for r in plan.rungs] == [1080, 720, 480, 360, 240]
    top = plan.rungs[0]
    assert top.video_bitrate == int(0.08 * 1920 * 1080 * 30)
    assert top.maxrate == int(top.video_bitrate * 1.5) and top.bufsize == top.video_bitrate * 2
    assert all(a.video_bitrate > b.video_bitrate for a, b in zip(plan.rungs, plan.rungs[1:], strict=False))
    cmd = " ".join(ffmpeg.build_command(source="in.mp4", out_dir=Path("/tmp/x"), plan=plan))
    assert "expr:gte(t,n_forced*4)" in cmd and "-sc_threshold 0" in cmd
    assert cmd.count("libx264") == 5


def test_it_never_upscales_a_tiny_source():
    plan = ffmpeg.plan_ladder(
        width=176,
        height=144,
        fps=25,
        duration_s=3,
        has_audio=False,
        ladder=[1080, 240],
        bits_per_pixel=0.08,
        segment_s=4,
    )
    assert [(r.width, r.height) for r in plan.rungs] == [(176, 144)]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"this is not a video at all" * 100, "not a video"),
        (b"", "not a video"),
    ],
)
def test_it_fails_junk_files_with_a_clear_error(alice, tmp_path, content, expected):
    path = tmp_path / "junk.mp4"
    path.write_bytes(content)
    video = queued_video(alice, path)
    assert tasks.transcode_next() == "failed"
    video.refresh_from_db()
    assert video.status == "failed"
    assert expected in video.error
    assert video.renditions == [] and video.master_playlist == ""


def test_it_fails_truncated_files(alice, make_clip, tmp_path):
    data = make_clip().read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: len(data) // 3])
    video = queued_video(alice, path)
    tasks.transcode_next()
    video.refresh_from_db()
    assert video.status == "failed" and video.error


def test_it_fails_audio_only_files(alice, tmp_path):
    import subprocess

    path = tmp_path / "audio.m4a"
    subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(path)],
        check=True,
    )
    video = queued_video(alice, path)
    tasks.transcode_next()
    video.refresh_from_db()
    assert video.status == "failed"
    assert video.error == "The file has no video stream."


def test_it_fails_absurd_dimensions(alice, make_clip, settings):
    settings.VIDEO_MAX_DIMENSION = 200
    video = queued_video(alice, make_clip())
    tasks.transcode_next()
    video.refresh_from_db()
    assert video.status == "failed" and "too large" in video.error


def test_it_fails_absurd_durations(alice, make_clip, settings):
    settings.VIDEO_MAX_DURATION_S = 1
    video = queued_video(alice, make_clip(seconds=2))
    tasks.transcode_next()
    video.refresh_from_db()
    assert video.status == "failed" and "too long" in video.error


@pytest.mark.slow
def test_it_finishes_after_a_crash_mid_transcode(alice, make_clip, monkeypatch, settings):
    """A worker dying half-way leaves nothing published; the retry completes the job."""
    video = queued_video(alice, make_clip())
    real_run = ffmpeg.run_with_progress

    def crash(cmd, **kwargs):
        out = Path(cmd[-1]).parent.parent  # <attempt>/full
        (out / "240p").mkdir(parents=True, exist_ok=True)
        (out / "240p" / "seg_00000.ts").write_bytes(b"half a segment")
        raise ffmpeg.FfmpegError("ffmpeg exited with status -9", stderr_tail="Killed")

    monkeypatch.setattr(ffmpeg, "run_with_progress", crash)
    claim = services.transcode_claim_next()
    with pytest.raises(TranscodeRetryableError):
        services.transcode_run(claim=claim)
    video.refresh_from_db()
    assert video.status == "processing" and video.master_playlist == "" and video.claim_token == ""
    published = [p for p in Path(default_storage.path(f"videos/{video.pk}")).iterdir() if p.name != "source"]
    assert published == []

    monkeypatch.setattr(ffmpeg, "run_with_progress", real_run)
    assert tasks.transcode_video(video.pk) == "ready"
    video.refresh_from_db()
    assert video.status == "ready" and video.transcode_attempts == 2
    assert not any(Path(settings.VIDEO_WORK_DIR).rglob("*.ts"))


def test_it_takes_over_a_claim_whose_worker_went_silent(alice, make_clip, monkeypatch):
    video = queued_video(alice, make_clip())
    first = services.transcode_claim_next()
    assert first is not None
    assert services.transcode_claim(video_id=video.pk) is None  # held by a live worker
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert services.transcodes_reconcile() == [video.pk]
        second = services.transcode_claim(video_id=video.pk)
        assert second is not None and second.token != first.token
    # The silent worker's late publish is refused: its token no longer matches.
    video.refresh_from_db()
    assert video.claim_token == second.token


def test_it_gives_up_after_too_many_attempts(alice, make_clip, settings):
    settings.VIDEO_TRANSCODE_MAX_ATTEMPTS = 1
    video = queued_video(alice, make_clip())
    Video.objects.filter(pk=video.pk).update(transcode_attempts=1)
    claim = services.transcode_claim(video_id=video.pk)
    assert services.transcode_run(claim=claim) == "failed"
    video.refresh_from_db()
    assert video.status == "failed" and "kept failing" in video.error


def test_it_queues_fairly_by_least_recently_served_uploader(alice, bob, tmp_path):
    """Alice queued many videos before Bob queued one: after one of Alice's, Bob goes next."""
    alices = []
    for i in range(3):
        path = tmp_path / f"a{i}.mp4"
        path.write_bytes(b"x")
        alices.append(queued_video(alice, path))
    path = tmp_path / "b.mp4"
    path.write_bytes(b"x")
    bobs = queued_video(bob, path)
    first = services.transcode_claim_next()
    assert first.video_id == alices[0].pk
    second = services.transcode_claim_next()
    assert second.video_id == bobs.pk
    third = services.transcode_claim_next()
    assert third.video_id == alices[1].pk


def test_it_stores_progress_with_throttling(alice, make_clip):
    from videos.services.transcode import Claim, _ProgressWriter

    video = queued_video(alice, make_clip())
    claim = services.transcode_claim(video_id=video.pk)
    writer = _ProgressWriter(Claim(video_id=video.pk, token=claim.token))
    writer(10)
    writer(20)  # within a second: not written
    video.refresh_from_db()
    assert video.progress == 10


def test_it_reconciles_stuck_videos(alice, make_clip, django_capture_on_commit_callbacks):
    video = queued_video(alice, make_clip())
    assert services.transcodes_reconcile() == []
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert services.transcodes_reconcile() == [video.pk]


def test_it_deletes_media_with_the_video(alice, make_clip, django_capture_on_commit_callbacks):
    video = queued_video(alice, make_clip())
    root = Path(default_storage.path(f"videos/{video.pk}"))
    assert root.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.video_delete(video=video)
    assert not root.exists()
    alice.refresh_from_db()
    assert alice.videos_count == 0


def test_it_publishes_scheduled_videos(alice, bob):
    from accounts.models import Follow

    Follow.objects.create(follower=bob, followee=alice)
    video = VideoFactory(author=alice, published_at=timezone.now() + timedelta(hours=1))
    assert tasks.publish_scheduled() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert tasks.publish_scheduled() == 1
        assert tasks.publish_scheduled() == 0
    video.refresh_from_db()
    assert video.announced_at is not None


@pytest.mark.slow
def test_it_makes_the_lowest_rung_playable_first(
    alice, make_clip, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """Long sources get a quick lowest-rung pass published before the full ladder."""
    from videos.services import transcode

    settings.VIDEO_QUICK_PASS_MIN_S = 1
    video = queued_video(alice, make_clip(seconds=2, size="640x360"))
    real_encode = transcode._encode
    calls = []

    def encode_then_die_on_the_full_ladder(**kwargs):
        calls.append(len(kwargs["plan"].rungs))
        if len(calls) == 2:
            raise TranscodeRetryableError("worker lost")
        return real_encode(**kwargs)

    monkeypatch.setattr(transcode, "_encode", encode_then_die_on_the_full_ladder)
    with pytest.raises(TranscodeRetryableError):
        services.transcode_run(claim=services.transcode_claim_next())
    video.refresh_from_db()
    assert video.status == "processing"
    assert [r["height"] for r in video.renditions] == [240]
    assert media_path(video.master_playlist).read_text().count("EXT-X-STREAM-INF") == 1
    quick_prefix = video.media_prefix

    monkeypatch.setattr(transcode, "_encode", real_encode)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.transcode_video(video.pk) == "ready"
    video.refresh_from_db()
    assert [r["height"] for r in video.renditions] == [360, 240]
    assert not media_path(quick_prefix).exists()  # the quick generation was replaced


@pytest.mark.slow
def test_it_lets_viewers_watch_the_quick_rung_while_the_ladder_encodes(alice, bob, make_clip, monkeypatch, settings):
    """The quick pass exists so a long video is watchable early: by everyone, not just its owner."""
    from django.contrib.auth.models import AnonymousUser

    from videos import selectors
    from videos.services import transcode

    settings.VIDEO_QUICK_PASS_MIN_S = 1
    video = queued_video(alice, make_clip(seconds=2, size="640x360"))
    assert not selectors.video_list(viewer=AnonymousUser()).filter(pk=video.pk).exists()  # nothing to play yet
    real_encode = transcode._encode
    calls = []

    def encode_then_die_on_the_full_ladder(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise TranscodeRetryableError("worker lost")
        return real_encode(**kwargs)

    monkeypatch.setattr(transcode, "_encode", encode_then_die_on_the_full_ladder)
    with pytest.raises(TranscodeRetryableError):
        services.transcode_run(claim=services.transcode_claim_next())
    video.refresh_from_db()
    assert video.status == "processing" and video.master_playlist
    for viewer in (AnonymousUser(), bob):
        assert selectors.video_get_visible(video_id=video.pk, viewer=viewer).pk == video.pk
        assert selectors.video_list(viewer=viewer).filter(pk=video.pk).exists()


@pytest.mark.slow
def test_it_keeps_a_retranscoded_video_watchable_on_its_previous_ladder(
    alice, make_clip, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import AnonymousUser

    from videos import selectors
    from videos.services import transcode

    settings.VIDEO_QUICK_PASS_MIN_S = 1
    video = queued_video(alice, make_clip(seconds=2, size="640x360"))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.transcode_video(video.pk) == "ready"
    with django_capture_on_commit_callbacks(execute=False):
        video = services.video_retranscode(video=video)
    assert video.status == "processing"
    anonymous = AnonymousUser()
    assert selectors.video_get_visible(video_id=video.pk, viewer=anonymous).master_playlist == video.master_playlist
    assert selectors.video_list(viewer=anonymous).filter(pk=video.pk).exists()

    real_encode = transcode._encode
    ladders = []

    def recording_encode(**kwargs):
        ladders.append(len(kwargs["plan"].rungs))
        return real_encode(**kwargs)

    monkeypatch.setattr(transcode, "_encode", recording_encode)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.transcode_video(video.pk) == "ready"
    assert ladders == [2]  # no quick pass: the full previous ladder stayed up until replaced


def test_it_kills_a_wedged_ffmpeg():
    with pytest.raises(ffmpeg.FfmpegError):
        ffmpeg.run_with_progress(["sleep", "30"], duration_s=1, timeout_s=0.3)


def test_it_retries_on_storage_errors(alice, make_clip, monkeypatch):
    from videos import storage

    video = queued_video(alice, make_clip(seconds=1))

    def disk_full(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "publish_dir", disk_full)
    with pytest.raises(TranscodeRetryableError, match="No space left"):
        services.transcode_run(claim=services.transcode_claim_next())
    video.refresh_from_db()
    assert video.status == "processing" and video.claim_token == "" and video.master_playlist == ""
